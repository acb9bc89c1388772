"""Stage 4, word vectors (notebook 04): meaning as geometry.

- word2vec: skip-gram and CBOW with negative sampling from scratch, and its training log.
- word_vectors: the container for word vectors and their queries (neighbours, analogies,
  similarity benchmarks), and the shipped GloVe subset.
- ppmi: the count-based view: co-occurrence counts, PPMI, SVD and PCA.
- debias: a bias direction, projections on it, and hard-debiasing.
"""
