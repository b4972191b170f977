"""Model code only: VITS's training forward on transformers' VitsModel modules, monotonic
alignment search (mas.py), the discriminator, losses, organs and freeze plans, recipients and
checkpoints, inference and speaking, and the style VAE. Start at organs.py, then
training_forward.py."""
