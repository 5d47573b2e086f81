"""Model building: the generator, data sets, training, evaluation, the model cards and the
commands that build the shipped models (``python -m modelbuilding <command>``).

It imports the engine's run time (``diagnosis.ml``: what a worker runs) and is never imported by
it: a worker installs and loads none of this. Training-only packages (tqdm, matplotlib) are in
requirements-build.txt.
"""
