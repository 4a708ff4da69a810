#!/usr/bin/python3
"""Golden values for nn/train, computed once with PyTorch (Debian's python3-torch).

Run from this directory:  /usr/bin/python3 gen_golden.py   (or: go test ./nn/train -run Golden -update)

Writes
  block_grads.json  a small "last block + head" network (MobileNetV2/V3/EfficientNet pieces: 1x1 expand conv,
                    frozen BatchNorm, ReLU6, depthwise 3x3, hard-swish, squeeze-excite with ReLU and hard-sigmoid,
                    1x1 project + residual add, a 3x3 stride-2 grouped conv with TF-"same" (0,1) padding and SiLU,
                    a depthwise 5x5 conv, GAP, Linear) on fixed inputs: loss, logits and the gradients of the
                    cross-entropy loss with respect to every weight and bias and the input. Computed in float64 from
                    float32-representable values.
  head_train.json   head-only training runs on fixed features: initial weights, per-epoch batch orders, and the
                    per-epoch mean losses and final weights (Adam with CE, AdamW with BCE, SGD+momentum+L2 with CE).

Tensors are stored in ocellus' layouts: activations NHWC, conv weights OHWI [out][kh][kw][in/groups], Linear
weights [in][out]; data flattened row-major, floats printed with 9 significant digits.
"""
import json

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20261201)


def f32(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32).astype(np.float64)


def enc(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float("%.9g" % v) for v in a.ravel()]}


def nhwc(t):
    return t.detach().numpy().transpose(0, 2, 3, 1)


def ohwi(t):
    return t.detach().numpy().transpose(0, 2, 3, 1)


def block():
    N, C, H, W = 3, 8, 6, 6
    E, S, OC = 24, 6, 12
    x = torch.tensor(f32(N, C, H, W), requires_grad=True)
    P = {}

    def param(name, arr):
        t = torch.tensor(arr, requires_grad=True)
        P[name] = t
        return t

    def bn(name, ch, eps):
        st = {"gamma": f32(ch, lo=0.5, hi=1.5), "beta": f32(ch, lo=-0.2, hi=0.2),
              "mean": f32(ch, lo=-0.2, hi=0.2), "var": f32(ch, lo=0.5, hi=1.5)}
        BN[name] = (st, eps)
        return lambda v: F.batch_norm(v, torch.tensor(st["mean"]), torch.tensor(st["var"]),
                                      torch.tensor(st["gamma"]), torch.tensor(st["beta"]), training=False, eps=eps)

    BN = {}
    we = param("expand:w", f32(E, C, 1, 1, lo=-0.5, hi=0.5))
    bn1 = bn("expand_bn", E, 1e-3)
    wd = param("dw:w", f32(E, 1, 3, 3, lo=-0.5, hi=0.5))
    bn2 = bn("dw_bn", E, 1e-5)
    ws1, bs1 = param("se1:w", f32(S, E, 1, 1, lo=-0.4, hi=0.4)), param("se1:b", f32(S, lo=-0.1, hi=0.1))
    ws2, bs2 = param("se2:w", f32(E, S, 1, 1, lo=-0.8, hi=0.8)), param("se2:b", f32(E, lo=-0.1, hi=0.1))
    wp = param("project:w", f32(C, E, 1, 1, lo=-0.3, hi=0.3))
    bn3 = bn("project_bn", C, 1e-3)
    wc, bc = param("conv:w", f32(OC, C // 2, 3, 3, lo=-0.3, hi=0.3)), param("conv:b", f32(OC, lo=-0.1, hi=0.1))
    wq, bq = param("dw5:w", f32(OC, 1, 5, 5, lo=-0.3, hi=0.3)), param("dw5:b", f32(OC, lo=-0.1, hi=0.1))
    bn4 = bn("dw5_bn", OC, 1e-3)
    wl, bl = param("fc:w", f32(3, OC, lo=-0.5, hi=0.5)), param("fc:b", f32(3, lo=-0.1, hi=0.1))
    labels = torch.tensor([0, 2, 1])

    e = F.hardtanh(bn1(F.conv2d(x, we)), 0, 6)                       # ReLU6
    d = F.hardswish(bn2(F.conv2d(e, wd, padding=1, groups=E)))
    s = d.mean(dim=(2, 3), keepdim=True)
    s = F.hardsigmoid(F.conv2d(F.relu(F.conv2d(s, ws1, bs1)), ws2, bs2))
    d = d * s
    p = bn3(F.conv2d(d, wp)) + x
    c = F.silu(F.conv2d(F.pad(p, (0, 1, 0, 1)), wc, bc, stride=2, groups=2))
    q = F.relu(bn4(F.conv2d(c, wq, bq, padding=2, groups=OC)))
    g = q.mean(dim=(2, 3))
    z = F.linear(g, wl, bl)
    loss = F.cross_entropy(z, labels)
    loss.backward()

    out = {"input": enc(nhwc(x)), "input_grad": enc(nhwc(x.grad)), "labels": labels.tolist(),
           "loss": float(loss), "logits": enc(z.detach().numpy()), "params": {}, "grads": {}, "bn": {}}
    for name, t in P.items():
        if name == "fc:w":
            v, gr = t.detach().numpy().T, t.grad.numpy().T
        elif t.dim() == 4:
            v, gr = ohwi(t), ohwi(t.grad)
        else:
            v, gr = t.detach().numpy(), t.grad.numpy()
        out["params"][name] = enc(v)
        out["grads"][name] = enc(gr)
    for name, (st, eps) in BN.items():
        out["bn"][name] = {"eps": eps, **{k: enc(v) for k, v in st.items()}}
    return out


def head_runs():
    n, dim, k = 40, 24, 3
    labels = rng.integers(0, k, size=n)
    means = f32(k, dim, lo=-0.6, hi=0.6)
    feats = (means[labels] + f32(n, dim, lo=-1, hi=1)).astype(np.float32).astype(np.float64)
    out = {"features": enc(feats), "labels": labels.tolist(), "runs": []}

    def run(name, loss, outputs, make_opt, opt_desc, batch, epochs):
        w0, b0 = f32(outputs, dim, lo=-0.3, hi=0.3), f32(outputs, lo=-0.1, hi=0.1)
        w, b = torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)
        opt = make_opt([w, b])
        X, y = torch.tensor(feats), torch.tensor(labels)
        orders, losses = [], []
        for _ in range(epochs):
            order = rng.permutation(n)
            orders.append(order.tolist())
            total = 0.0
            for s in range(0, n, batch):
                idx = torch.tensor(order[s:s + batch])
                z = F.linear(X[idx], w, b)
                if loss == "ce":
                    l = F.cross_entropy(z, y[idx])
                else:  # one output, sigmoid BCE on label 0/1 (class 1 vs the rest)
                    l = F.binary_cross_entropy_with_logits(z[:, 0], (y[idx] == 1).double())
                opt.zero_grad()
                l.backward()
                opt.step()
                total += float(l) * len(idx)
            losses.append(total / n)
        out["runs"].append({"name": name, "loss": loss, "outputs": outputs, "optimizer": opt_desc, "batch": batch,
                            "w0": enc(w0.T), "b0": enc(b0), "orders": orders, "epoch_losses": losses,
                            "w_final": enc(w.detach().numpy().T), "b_final": enc(b.detach().numpy())})

    run("adam-ce", "ce", k, lambda ps: torch.optim.Adam(ps, lr=1e-2), {"kind": "adam", "lr": 1e-2}, 8, 6)
    run("adamw-bce", "bce", 1, lambda ps: torch.optim.AdamW(ps, lr=5e-3, weight_decay=1e-2),
        {"kind": "adamw", "lr": 5e-3, "weight_decay": 1e-2}, 16, 5)
    run("sgd-momentum-l2-ce", "ce", k, lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
        {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "weight_decay": 1e-3}, 8, 6)
    run("adam-l2-ce", "ce", k, lambda ps: torch.optim.Adam(ps, lr=3e-3, weight_decay=1e-2),
        {"kind": "adam-l2", "lr": 3e-3, "weight_decay": 1e-2}, 12, 4)
    return out


def dump(name, obj):
    obj = {"generator": "gen_golden.py", "torch": torch.__version__, **obj}
    with open(name, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


dump("block_grads.json", block())
dump("head_train.json", head_runs())
