"""Stage 2, counting (notebooks 00 and 02): language models made of counts.

- next_token: a language model as a next-token predictor (the protocol every widget speaks);
  softmax, temperature, sampling and likelihood for any model.
- ngram: n-gram models with maximum likelihood, add-k, interpolation and Kneser-Ney; perplexity.
- ngram_counts: the storage behind ngram, n-gram counts as sorted integer arrays.
"""
