"""Stand-ins for the outside world, run as real servers on loopback: a slow, sometimes failing
spam-scoring API (:mod:`.api_standin`) and an SMTP sink that keeps every mail (:mod:`.smtp_sink`).
The blog talks to them exactly as it would to the real thing."""
