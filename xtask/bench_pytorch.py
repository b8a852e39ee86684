"""The article's workload in PyTorch, for `cargo xtask bench --vs-pytorch`.

Same shapes as the Rust bench: 987 windows x 5 steps x 1 feature, LSTM (or GRU, or RNN)
(1->100) -> Linear(100->50) -> ReLU -> Linear(50->1), MSE, AdamW (PyTorch defaults), one
full-batch step per epoch. Prints one JSON object with the median timings in milliseconds, the
LSTM's at the top level and every cell's under "cells".
Usage: python3 bench_pytorch.py THREADS WARM_UP TIMED
"""

import json
import statistics
import sys
import time

import torch

threads, warm_up, timed = (int(arg) for arg in sys.argv[1:4])
torch.set_num_threads(threads)


CELLS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}


class Net(torch.nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.recurrent = CELLS[cell](1, 100, batch_first=True)
        self.hidden = torch.nn.Linear(100, 50)
        self.output = torch.nn.Linear(50, 1)

    def forward(self, x):
        sequence, _ = self.recurrent(x)
        return self.output(torch.relu(self.hidden(sequence[:, -1, :])))


def measure(cell):
    torch.manual_seed(42)
    model = Net(cell)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    inputs = torch.empty(987, 5, 1).uniform_(2.5, 4.0)
    targets = torch.empty(987, 1).uniform_(2.5, 4.0)

    epochs = []
    for epoch in range(warm_up + timed):
        started = time.perf_counter()
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(inputs), targets)
        loss.backward()
        optimizer.step()
        if epoch >= warm_up:
            epochs.append(time.perf_counter() - started)

    one = torch.empty(1, 5, 1).uniform_(2.5, 4.0)
    many = torch.empty(1024, 5, 1).uniform_(2.5, 4.0)
    latencies, batches = [], []
    with torch.no_grad():
        for _ in range(warm_up + timed):
            started = time.perf_counter()
            model(one)
            latencies.append(time.perf_counter() - started)
            started = time.perf_counter()
            model(many)
            batches.append(time.perf_counter() - started)
    return {
        "epoch_ms": statistics.median(epochs) * 1e3,
        "one_window_ms": statistics.median(latencies[warm_up:]) * 1e3,
        "throughput_windows_per_s": 1024 / statistics.median(batches[warm_up:]),
    }


cells = {cell: measure(cell) for cell in CELLS}
# the LSTM's numbers at the top level, as the bench first read them
print(json.dumps({"torch": torch.__version__, "threads": threads, **cells["lstm"], "cells": cells}))
