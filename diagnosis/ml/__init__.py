"""The skin analysis engine's run time: what a worker imports. Pure PyTorch, no Django.

Its public face is ``inference.Analyzer`` (load a checkpoint once, analyse the photos of a
check); the web app also reads ``checkpoint`` (shipped models, their terms), ``combine`` (one
grade for a check), ``zones`` and ``errors``. Allowed imports: torch, torchvision, numpy, PIL,
cv2. The model-building side (``modelbuilding``: generator, training, evaluation, cards, the
command line) imports this package; nothing here imports it.
"""
