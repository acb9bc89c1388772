"""Stage 3, neural language models (notebook 03): a first model that learns its features.

- nplm: Bengio et al.'s MLP language model over a fixed window of characters.
- grad: backpropagation by hand, layer by layer, checked against torch.autograd.
- train: the small training toolkit (loop, history, live loss plot, checkpoints) later stages reuse.
"""
