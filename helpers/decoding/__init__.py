"""Stage 8, decoding (notebook 08): turning next-token logits into text.

- sampling: temperature, top-k, top-p, min-p and repetition penalties, with Hugging Face's
  conventions; greedy choice.
- beam_search: beam search, equal to Hugging Face's generate(num_beams=...).
- generation: generating with our GPT, with or without the KV cache; greedy decoding and chat.
- degeneration: repetition, distinct-n and per-token likelihood, to measure degenerate text.
- predictors: our GPT and SmolLM2 as next-token models for the explorers of 00 and 08.
"""
