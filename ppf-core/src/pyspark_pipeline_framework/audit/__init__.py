"""The audit log: a hook plugin of core (entry point ``audit_log``), written like any other plugin."""
