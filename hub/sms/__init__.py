"""SMS to citizens through a GSM modem on the hub: the PDU codec, the AT driver over
pyserial, and a simulated modem on a pty for tests and the demo."""
