"""Screens of the kiosk, one per module (desk: welcome, complaint, receipt, track, feedback;
gate: signin, gate, alert; enrol: enrol)."""
