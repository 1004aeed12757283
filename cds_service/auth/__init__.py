"""Authentication of CDS clients: JWT verification per CDS Hooks 2.0 "Trusting CDS Clients"."""
