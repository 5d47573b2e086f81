"""The skin analysis engine: pure PyTorch, no Django.

Usable on its own as ``python -m diagnosis.ml <command>``; the web app calls it from a Celery
worker. Allowed imports: torch, torchvision, numpy, PIL, cv2 (and matplotlib/tqdm for the
training tools).
"""
