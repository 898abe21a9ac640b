"""Hugging Face style model folders: what `save_pretrained` of transformers + tokenizers writes (neither library is
in Debian, so the files are written here following their published formats): config.json, generation_config.json,
tokenizer.json (tokenizers' serialization: WordPiece or byte-level BPE), tokenizer_config.json,
special_tokens_map.json, vocab.txt / vocab.json + merges.txt, a model card README.md with YAML front matter, and
safetensors weights (8-byte little-endian header length, JSON header with dtype/shape/data_offsets and __metadata__,
padded with spaces to 8 bytes, then the raw little-endian tensor data), single-file or sharded with
model.safetensors.index.json."""

import json

import numpy as np

from .common import ENTRIES, PREFIX, record, write_bytes, write_text

DTYPES = {np.dtype("float32"): "F32", np.dtype("float16"): "F16", np.dtype("int64"): "I64"}


def safetensors_bytes(tensors, metadata=None):
    """tensors: {name: numpy array}. Data laid out in name order, as the reference writer does for equal dtypes."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name]).astype(tensors[name].dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[tensors[name].dtype], "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + b"".join(chunks)


def _json(obj):
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def _added(token, index):
    return {"id": index, "content": token, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": False, "special": True}


BERT_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "dog", "sat", "ran", "on", "mat", "a",
              "and", "##s", "##ed", "##ing", "un", "##known", ".", ",", "!", "?", "is", "was", "it", "to", "of",
              "in", "big"]


def _bert(folder, rng):
    hidden, vocab = 8, len(BERT_VOCAB)
    config = {"architectures": ["BertForMaskedLM"], "attention_probs_dropout_prob": 0.1,
              "classifier_dropout": None, "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "hidden_size": hidden,
              "initializer_range": 0.02, "intermediate_size": 16, "layer_norm_eps": 1e-12,
              "max_position_embeddings": 16, "model_type": "bert", "num_attention_heads": 2,
              "num_hidden_layers": 1, "pad_token_id": 0, "position_embedding_type": "absolute",
              "torch_dtype": "float32", "transformers_version": "4.40.0", "type_vocab_size": 2,
              "use_cache": True, "vocab_size": vocab}
    files = {"config.json": _json(config), "vocab.txt": "".join(t + "\n" for t in BERT_VOCAB)}
    special = {"cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]",
               "unk_token": "[UNK]"}
    files["special_tokens_map.json"] = _json(special)
    files["tokenizer_config.json"] = _json({
        "added_tokens_decoder": {str(i): dict(_added(t, i), id=None) for i, t in enumerate(BERT_VOCAB[:5])},
        "clean_up_tokenization_spaces": True, "do_basic_tokenize": True, "do_lower_case": True,
        "model_max_length": 16, "never_split": None, "strip_accents": None, "tokenize_chinese_chars": True,
        "tokenizer_class": "BertTokenizer", **special})
    files["tokenizer.json"] = _json({
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [_added(t, i) for i, t in enumerate(BERT_VOCAB[:5])],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {t: {"id": t, "ids": [BERT_VOCAB.index(t)], "tokens": [t]} for t in ("[CLS]", "[SEP]")}},
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": {t: i for i, t in enumerate(BERT_VOCAB)}}})
    files["README.md"] = ("---\nlicense: mit\nlanguage:\n- en\nlibrary_name: transformers\npipeline_tag: fill-mask\n"
                          "tags:\n- bert\n- test\n---\n\n# tiny-bert\n\nA one-layer BERT with hidden size 8 and a "
                          "30-token vocabulary, for tests. Random weights: it predicts nothing useful.\n\n"
                          "## Usage\n\n```python\nfrom transformers import pipeline\nfill = pipeline('fill-mask', "
                          "model='./hf_bert_tiny')\n```\n")
    f32 = np.float32
    weights = {
        "bert.embeddings.word_embeddings.weight": rng.standard_normal((vocab, hidden)).astype(f32),
        "bert.embeddings.position_embeddings.weight": rng.standard_normal((16, hidden)).astype(f32),
        "bert.embeddings.token_type_embeddings.weight": rng.standard_normal((2, hidden)).astype(f32),
        "bert.embeddings.LayerNorm.weight": np.ones(hidden, f32), "bert.embeddings.LayerNorm.bias": np.zeros(hidden, f32),
        "bert.embeddings.position_ids": np.arange(16, dtype=np.int64).reshape(1, 16),
    }
    for part in ("query", "key", "value"):
        weights["bert.encoder.layer.0.attention.self.%s.weight" % part] = rng.standard_normal((hidden, hidden)).astype(f32)
        weights["bert.encoder.layer.0.attention.self.%s.bias" % part] = np.zeros(hidden, f32)
    weights["cls.predictions.bias"] = np.zeros(vocab, f32)
    for name, text in files.items():
        write_text(folder + name, text)
    write_bytes(folder + "model.safetensors", safetensors_bytes(weights, {"format": "pt"}))
    return sorted(files) + ["model.safetensors"]


def _byte_level_vocab():
    """GPT-2's byte-to-unicode table (printable bytes map to themselves, the rest to U+0100 onwards)."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    mapping, extra = {}, 0
    for byte in range(256):
        if byte in printable:
            mapping[byte] = chr(byte)
        else:
            mapping[byte] = chr(256 + extra)
            extra += 1
    return [mapping[b] for b in range(256)]


def _gpt2(folder, rng):
    base = _byte_level_vocab()
    merges = ["Ġ t", "h e", "Ġt he", "Ġ a", "i n", "Ġ c", "a t", "Ġc at"]
    vocab_list = base + [m.replace(" ", "") for m in merges] + ["<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(vocab_list)}
    eos = len(vocab_list) - 1
    hidden = 8
    config = {"activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
              "bos_token_id": eos, "embd_pdrop": 0.1, "eos_token_id": eos, "initializer_range": 0.02,
              "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 16, "n_embd": hidden, "n_head": 2,
              "n_inner": None, "n_layer": 1, "n_positions": 16, "resid_pdrop": 0.1, "torch_dtype": "float16",
              "transformers_version": "4.40.0", "use_cache": True, "vocab_size": len(vocab_list)}
    special = {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"}
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    files = {
        "config.json": _json(config),
        "generation_config.json": _json({"_from_model_config": True, "bos_token_id": eos, "eos_token_id": eos,
                                         "transformers_version": "4.40.0"}),
        "vocab.json": json.dumps(vocab, ensure_ascii=False, separators=(",", ":")) + "\n",
        "merges.txt": "#version: 0.2\n" + "".join(m + "\n" for m in merges),
        "special_tokens_map.json": _json(special),
        "tokenizer_config.json": _json({"add_prefix_space": False,
                                        "added_tokens_decoder": {str(eos): dict(_added("<|endoftext|>", eos), id=None)},
                                        "clean_up_tokenization_spaces": True, "model_max_length": 16,
                                        "tokenizer_class": "GPT2Tokenizer", **special}),
        "tokenizer.json": _json({"version": "1.0", "truncation": None, "padding": None,
                                 "added_tokens": [_added("<|endoftext|>", eos)], "normalizer": None,
                                 "pre_tokenizer": byte_level, "post_processor": dict(byte_level, trim_offsets=False),
                                 "decoder": byte_level,
                                 "model": {"type": "BPE", "dropout": None, "unk_token": None,
                                           "continuing_subword_prefix": "", "end_of_word_suffix": "",
                                           "fuse_unk": False, "byte_fallback": False, "vocab": vocab,
                                           "merges": merges}}),
        "README.md": ("---\nlicense: apache-2.0\nlibrary_name: transformers\npipeline_tag: text-generation\n"
                      "tags:\n- gpt2\n- test\nmodel-index:\n- name: tiny-gpt2\n  results: []\n---\n\n# tiny-gpt2\n\n"
                      "A one-layer GPT-2 (n_embd 8) saved in two safetensors shards, for tests.\n"),
    }
    f16 = np.float16
    shards = [
        {"transformer.wte.weight": rng.standard_normal((len(vocab_list), hidden)).astype(f16),
         "transformer.wpe.weight": rng.standard_normal((16, hidden)).astype(f16)},
        {"transformer.h.0.ln_1.weight": np.ones(hidden, f16), "transformer.h.0.ln_1.bias": np.zeros(hidden, f16),
         "transformer.h.0.attn.c_attn.weight": rng.standard_normal((hidden, 3 * hidden)).astype(f16),
         "transformer.h.0.attn.c_attn.bias": np.zeros(3 * hidden, f16),
         "transformer.ln_f.weight": np.ones(hidden, f16), "transformer.ln_f.bias": np.zeros(hidden, f16)},
    ]
    weight_map, total = {}, 0
    names = []
    for i, shard in enumerate(shards, start=1):
        name = "model-%05d-of-%05d.safetensors" % (i, len(shards))
        write_bytes(folder + name, safetensors_bytes(shard, {"format": "pt"}))
        names.append(name)
        for tensor, array in shard.items():
            weight_map[tensor] = name
            total += array.nbytes
    files["model.safetensors.index.json"] = _json({"metadata": {"total_size": total},
                                                   "weight_map": dict(sorted(weight_map.items()))})
    for name, text in files.items():
        write_text(folder + name, text)
    return sorted(files) + names


WHAT = {
    "config.json": "model configuration JSON (config.json)",
    "generation_config.json": "generation configuration JSON",
    "tokenizer.json": "tokenizers serialization (tokenizer.json)",
    "tokenizer_config.json": "tokenizer configuration JSON",
    "special_tokens_map.json": "special tokens map JSON",
    "vocab.txt": "WordPiece vocabulary, one token a line",
    "vocab.json": "byte-level BPE vocabulary JSON (token -> id)",
    "merges.txt": "BPE merges ('#version: 0.2' then one pair a line)",
    "README.md": "model card: Markdown with YAML front matter",
    "model.safetensors": "safetensors weights (F32 and I64, __metadata__ format=pt)",
    "model.safetensors.index.json": "sharded-weights index (metadata.total_size, weight_map)",
}


def gen_huggingface():
    rng = np.random.RandomState(0)
    for folder, writer, what in (("hf_bert_tiny/", _bert, "BERT-style folder with a WordPiece tokenizer and one "
                                                          "model.safetensors"),
                                 ("hf_gpt2_tiny_sharded/", _gpt2, "GPT-2-style folder with a byte-level BPE "
                                                                  "tokenizer and F16 weights in two safetensors "
                                                                  "shards + model.safetensors.index.json")):
        for name in writer(folder, rng):
            text = WHAT.get(name, "safetensors shard (F16)")
            record(folder + name, "generator", "Hugging Face %s: %s" % (what, text))
        record(folder.rstrip("/"), "generator", "folder scan of the Hugging Face %s" % what)
    assert all(e["file"].startswith(PREFIX) for e in ENTRIES)
