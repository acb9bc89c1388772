"""Stage 9, alignment (notebooks 09 and 10): from a base model to an assistant.

Empty until notebooks 09 (fine-tuning) and 10 (RLHF) land; the layering contract already places
it above pretraining and decoding.
"""
