"""Where ONNX Runtime runs: the choices of every command's --device (the trainer's too).

"auto" uses CUDA when it really works, else the CPU; "cuda" fails with a message without it."""
DEVICES = ("auto", "cpu", "cuda")
