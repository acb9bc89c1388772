"""Stage 7, pretraining (notebook 07): training a GPT, and what scale buys.

- trainer: the training loop for a GPT on a stream of token ids (AdamW or Muon, warmup + cosine,
  clipping, evaluation, exact resumption).
- muon: the Muon optimizer, with Newton-Schulz in float32 on a CPU (bfloat16 is slow there).
- checkpoints: training-state files that resume a run bit for bit.
- recipes: named model + training configurations, and the shipped Shakespeare checkpoint.
- scaling: fitting L(N) and reading the compute frontier.
- scaling_study: the protocol of the miniature scaling study, and one run of it.
- myopic: myopic training, every gradient path into earlier positions cut.
- precaching: a synthetic task that needs pre-caching, to tell it from breadcrumbs.
"""
