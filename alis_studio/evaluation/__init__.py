"""Measuring models without torch: real image sets (datasets), the metrics in numpy (SWD, seams, FID
with a local ONNX Inception), and evaluate (an `.alis` bundle through the engine). The CLI's `eval`
uses them, so the binary has it; the trainer imports the metrics and the image sets from here."""
