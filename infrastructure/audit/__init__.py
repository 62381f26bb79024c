"""The tamper-evident access log: an RFC 9162 Merkle tree per workspace, signed
checkpoints, and extracts an auditor verifies offline (issue 8)."""
