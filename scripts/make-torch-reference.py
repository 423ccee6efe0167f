#!/usr/bin/python3
"""The frozen PyTorch reference the C tests compare one training step to
(tests/c/test_torch.c), as llm.c's test_gpt2 compares to a PyTorch dump.

    scripts/make-torch-reference.py          # needs python3-torch (Debian)

Only regenerating needs Python and torch; the tests read the committed
files. Three small autoencoders, fixed float32 inputs and weights, BCE
(mean over every element, as aelab's), one step of Adam and one of SGD:

  dense    x (4, 20): Linear(20→8) ReLU Linear(8→20) Sigmoid
  conv     x (2, 1, 8, 8): Conv2d(1→4, 3×3, 'same') ReLU MaxPool2d(2)
           Upsample(2, nearest) Conv2d(4→1, 3×3, 'same') Sigmoid
  strided  x (2, 1, 8, 8): Conv2d(1→2, 3×3, stride 2, 'same') Tanh
           ConvTranspose2d(2→1, 3×3, stride 2, 'same') Sigmoid

'same' is Keras' rule, which aelab follows (core/conv.h, ae_conv_out_len):
output ceil(n/s), the total padding (out−1)·s + k − n split with the smaller
half before. For stride 1 and k = 3 that is PyTorch's padding=1; for stride
2 on 8 pixels it is 0 before and 1 after, which PyTorch has no padding
argument for: the strided model pads by hand (F.pad) and crops the
transposed convolution's output (its adjoint). MaxPool 2×2 on 8×8 needs no
padding in either.

Files in tests/data/torch_ref/, float32 .npy, per model M:
  M_x        the input, also the target
  M_params   every parameter, flat, in aelab's arena order (each layer's
             weight then bias, layers in order) and PyTorch's layouts:
             Dense (out, in), Conv2D (out, in, kh, kw), ConvTranspose2D
             (in, out, kh, kw)
  M_loss     (1,) the loss before the step
  M_grads    the gradient of every parameter, flat, same order
  M_adam     the parameters after one Adam step (lr 1e-2, betas 0.9/0.999,
             eps 1e-8, no weight decay; eps added to √v̂ as aelab does)
  M_sgd      the parameters after one SGD step (lr 0.1, momentum 0.9)
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "torch_ref")
ADAM = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
SGD = dict(lr=0.1, momentum=0.9)


class Dense(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = torch.nn.Linear(20, 8)
        self.dec = torch.nn.Linear(8, 20)

    def forward(self, x):
        return torch.sigmoid(self.dec(torch.relu(self.enc(x))))


class Conv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.c2 = torch.nn.Conv2d(4, 1, 3, padding=1)

    def forward(self, x):
        h = F.max_pool2d(torch.relu(self.c1(x)), 2)
        return torch.sigmoid(self.c2(F.interpolate(h, scale_factor=2, mode="nearest")))


class Strided(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c = torch.nn.Conv2d(1, 2, 3, stride=2)
        self.t = torch.nn.ConvTranspose2d(2, 1, 3, stride=2)

    def forward(self, x):
        # Keras 'same', stride 2, 8 → 4: pad 0 before, 1 after
        h = torch.tanh(self.c(F.pad(x, (0, 1, 0, 1))))
        # its adjoint, 4 → 8: the full (2·4 + 1) output without its last row and column
        return torch.sigmoid(self.t(h)[:, :, :8, :8])


def fill(model, rng):
    """Fixed weights: uniform, Glorot-like scale; biases small but not zero."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight"):
                fan = p.shape[0] * int(np.prod(p.shape[2:])) + p.shape[1] * int(np.prod(p.shape[2:]))
                bound = np.sqrt(6.0 / fan)
                p.copy_(torch.from_numpy(rng.uniform(-bound, bound, size=tuple(p.shape)).astype(np.float32)))
            else:
                p.copy_(torch.from_numpy(rng.uniform(-0.1, 0.1, size=tuple(p.shape)).astype(np.float32)))


def flat(tensors):
    return np.concatenate([t.detach().numpy().astype(np.float32).ravel() for t in tensors])


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(a, dtype=np.float32))


def one_step(make, x, opt_class, opt_args, seed):
    model = make()
    fill(model, np.random.default_rng(seed))
    params0 = flat(model.parameters())
    opt = opt_class(model.parameters(), **opt_args)
    opt.zero_grad()
    loss = F.binary_cross_entropy(model(x), x)
    loss.backward()
    grads = flat(p.grad for p in model.parameters())
    opt.step()
    return params0, np.float32(loss.item()), grads, flat(model.parameters())


def reference(name, make, xshape, seed):
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.uniform(0.0, 1.0, size=xshape).astype(np.float32))
    p0, loss, grads, adam = one_step(make, x, torch.optim.Adam, ADAM, seed + 1)
    p0s, loss_s, grads_s, sgd = one_step(make, x, torch.optim.SGD, SGD, seed + 1)
    assert np.array_equal(p0, p0s) and loss == loss_s and np.array_equal(grads, grads_s)
    save(name + "_x", x.numpy())
    save(name + "_params", p0)
    save(name + "_loss", np.array([loss]))
    save(name + "_grads", grads)
    save(name + "_adam", adam)
    save(name + "_sgd", sgd)
    print(f"{name}: {p0.size} parameters, loss {loss:.7f}")


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    reference("dense", Dense, (4, 20), 10)
    reference("conv", Conv, (2, 1, 8, 8), 20)
    reference("strided", Strided, (2, 1, 8, 8), 30)
    print(f"torch {torch.__version__}, numpy {np.__version__}: wrote {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
