"""Settings for the whole suite."""

import torch

# Tests run two at a time on two shared cores: one intra-op thread each avoids OpenMP spin-waiting
# against the other worker, which made steps tens of times slower.
torch.set_num_threads(1)
