"""Server-rendered portal pages: the person's access request and the agents'
minimal queue. Plain HTML forms, no scripts, Norwegian and English."""
