"""The mini-lab tokenizer: one token per character of the tasks' alphabet, plus chat special tokens.

Saved in Hugging Face format (tokenizer.json + tokenizer_config.json with a chat template), so
`AutoTokenizer.from_pretrained` and any HF-compatible tool load it unchanged. The template is
Qwen3's shape: `<|im_start|>role\\ncontent<|im_end|>\\n`, reasoning in `<think>...</think>`.
"""

from __future__ import annotations

import string

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

PAD, EOS, START = "<|endoftext|>", "<|im_end|>", "<|im_start|>"
THINK, END_THINK = "<think>", "</think>"
SPECIAL = [PAD, START, EOS, THINK, END_THINK]
ALPHABET = string.ascii_letters + string.digits + " \n+-*/=<>()[]{}.,:;!?'\"_#%&|@$^~\\"
UNKNOWN = "?"  # characters outside the alphabet map to `?`, keeping the vocabulary tiny
# Whole-word tokens for the words every example repeats (chat roles, task names, trace keywords):
# they cut the mini-lab's sequences by about a quarter, and so its training and generation time.
WORDS = ["user", "assistant", "system", "countdown", " target ", "signs", "path", " from ", " to ", "steps",
         "dead end", "check ", "[harm] "]

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def build_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {tok: i for i, tok in enumerate(SPECIAL)}
    for ch in ALPHABET:
        vocab.setdefault(ch, len(vocab))
    for word in WORDS:
        vocab[word] = len(vocab)
    core = Tokenizer(models.WordLevel(vocab, unk_token=UNKNOWN))
    core.add_tokens([AddedToken(word, normalized=False) for word in WORDS])
    # Split into single characters; the regex is matched by the tokenizers library, not Python.
    core.pre_tokenizer = pre_tokenizers.Split(Regex(r"[\s\S]"), behavior="isolated")
    core.decoder = decoders.Fuse()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token=PAD,
        eos_token=EOS,
        bos_token=None,
        unk_token=UNKNOWN,
        additional_special_tokens=[START, THINK, END_THINK],
        chat_template=CHAT_TEMPLATE,
        model_max_length=4096,
    )
    return tok
