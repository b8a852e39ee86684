"""PyTorch's side of `cargo xtask bench --gpu`: nn.LSTM on CUDA (cuDNN) over the bench's shapes.

Usage: python3 bench_pytorch_gpu.py WORKLOADS_JSON
WORKLOADS_JSON is the list the Rust bench sends (name, windows, window_len, features, hidden,
layers, head, batch, warm_up, timed). The network is the same: the LSTM, the last step's hidden
state through the MLP head (ReLU between layers) to one value; MSE, AdamW, mini-batches of
`batch`. Prints a JSON list of rows (workload, method, device, epoch_ms, one_window_ms,
throughput_windows_per_s); exits 1, saying why on stderr, without CUDA.
"""

import json
import statistics
import sys
import time

import torch


class Net(torch.nn.Module):
    def __init__(self, w):
        super().__init__()
        self.lstm = torch.nn.LSTM(w["features"], w["hidden"], w["layers"], batch_first=True)
        widths = [w["hidden"], *w["head"], 1]
        self.head = torch.nn.ModuleList(
            torch.nn.Linear(a, b) for a, b in zip(widths, widths[1:])
        )

    def forward(self, x):
        sequence, _ = self.lstm(x)
        y = sequence[:, -1, :]
        for index, layer in enumerate(self.head):
            y = layer(y)
            if index < len(self.head) - 1:
                y = torch.relu(y)
        return y


def timed(work):
    torch.cuda.synchronize()
    started = time.perf_counter()
    work()
    torch.cuda.synchronize()
    return time.perf_counter() - started


def measure(w, device):
    torch.manual_seed(42)
    model = Net(w).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    shape = (w["windows"], w["window_len"], w["features"])
    inputs = torch.empty(shape, device=device).uniform_(-1.0, 1.0)
    targets = torch.rand(w["windows"], 1, device=device)

    def epoch():
        for start in range(0, w["windows"], w["batch"]):
            optimizer.zero_grad()
            end = start + w["batch"]
            loss = torch.nn.functional.mse_loss(model(inputs[start:end]), targets[start:end])
            loss.backward()
            optimizer.step()

    epochs = [timed(epoch) for _ in range(w["warm_up"] + w["timed"])][w["warm_up"]:]
    one = torch.empty(1, w["window_len"], w["features"], device=device).uniform_(-1.0, 1.0)
    many = torch.empty(w["batch"], w["window_len"], w["features"], device=device).uniform_(-1, 1)
    latencies, batches = [], []
    with torch.no_grad():
        for _ in range(w["warm_up"] + w["timed"]):
            latencies.append(timed(lambda: model(one).cpu()))
            batches.append(timed(lambda: model(many).cpu()))
    skip = w["warm_up"]
    return {
        "workload": w["name"],
        "method": "pytorch cuDNN",
        "device": torch.cuda.get_device_name(device),
        "epoch_ms": statistics.median(epochs) * 1e3,
        "one_window_ms": statistics.median(latencies[skip:]) * 1e3,
        "throughput_windows_per_s": w["batch"] / statistics.median(batches[skip:]),
    }


if not torch.cuda.is_available():
    print("bench_pytorch_gpu.py: torch finds no CUDA device", file=sys.stderr)
    sys.exit(1)
torch.backends.cudnn.benchmark = True
workloads = json.loads(sys.argv[1])
print(json.dumps([measure(w, torch.device("cuda")) for w in workloads]))
