"""Stage 6, the Transformer (notebook 06): a GPT from scratch, and a real one loaded into it.

- gpt: the decoder-only Transformer (GPT-2 and Llama recipes), equal to Hugging Face's.
- kv_cache: the keys and values a GPT keeps while generating; its memory; decoding timed with it.
- gpt_weights: Hugging Face's GPT-2 and Llama weight layouts translated into our GPT.
- pretrained: SmolLM2-135M read from its GGUF file into our GPT, with its tokenizer.
- deep_stack: gradients through 24 blocks wired with and without residuals and norms.
- mlm: masked language modelling (BERT's task) next to next-token prediction.
- flops: the arithmetic per token, 6N plus the attention term.
- head_scores: previous-token, induction and sink heads found by measurement.
"""
