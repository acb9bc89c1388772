"""Stage 5, attention (notebook 05): looking back at every position instead of one summary.

- attention: scaled dot-product and additive attention, masks, multi-head attention, from scratch
  and equal to torch's.
- seq2seq: GRU encoder-decoders with and without attention on string reversal (the bottleneck).
"""
