"""Stage 1, tokens (notebook 01): how text becomes the integer ids a model reads.

- bpe: byte-level byte-pair encoding; tiktoken's rank files loaded as our merges (identical ids).
- bpe_train: learning the merges, the straightforward way and a fast way, with a choice of tie rule.
- pretokenize: the regex that cuts text into chunks before BPE, and special-token boundaries.
- encodings: OpenAI's tiktoken encodings (gpt2, cl100k, o200k) with no network.
- chat: chat templates (ChatML): a conversation as one token sequence, with an assistant mask.
- char_tokens: a character-level tokenizer, the one our Shakespeare GPTs (06-08) read.
"""
