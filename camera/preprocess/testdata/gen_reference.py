#!/usr/bin/python3
# Generates testdata/pillow_ref.json, the Pillow / numpy reference values the Go tests compare against.
#
# Regenerate (Debian bookworm: apt-get install python3-pil python3-numpy → Pillow 9.4.0, numpy 1.24):
#   cd camera/preprocess && /usr/bin/python3 testdata/gen_reference.py [SHARED_DIR]
# SHARED_DIR defaults to $OCELLUS_SHARED or ../../../shared (i.e. /work/shared). Deterministic: re-running
# with the same Pillow/numpy gives the same file.
#
# bilinear_hp, nearest and the normalisation are copied from shared/models/onnx/gen/eval_preprocess.py,
# the script that produced the expected labels; pil_bilinear is Image.resize(BILINEAR); crop256 is the
# script's crop, generalised to other model sizes as the Go package documents (t = round(max(W,H)*256/224)).
import hashlib, json, os, sys
import numpy as np
import PIL
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('OCELLUS_SHARED') or os.path.join(HERE, '..', '..', '..', '..', 'shared')
IM = os.path.join(SHARED, 'images')
MEAN = np.array([0.485, 0.456, 0.406], np.float32); STD = np.array([0.229, 0.224, 0.225], np.float32)

def bilinear_hp(a, W, H):  # eval_preprocess.py, unchanged (works for HxWxC arrays)
    a = a.astype(np.float64); h, w = a.shape[:2]
    def coords(n_out, n_in):
        s = (np.arange(n_out) + 0.5) * n_in / n_out - 0.5
        s = np.clip(s, 0, n_in - 1); i0 = np.floor(s).astype(int); i1 = np.minimum(i0 + 1, n_in - 1); f = s - i0
        return i0, i1, f
    y0, y1, fy = coords(H, h); x0, x1, fx = coords(W, w)
    top = a[y0][:, x0] * (1 - fx)[None, :, None] + a[y0][:, x1] * fx[None, :, None]
    bot = a[y1][:, x0] * (1 - fx)[None, :, None] + a[y1][:, x1] * fx[None, :, None]
    r = top * (1 - fy)[:, None, None] + bot * fy[:, None, None]
    return np.clip(np.floor(r + 0.5), 0, 255).astype(np.uint8)

def nearest(a, W, H):  # eval_preprocess.py, unchanged
    h, w = a.shape[:2]
    ys = np.minimum(h - 1, np.floor((np.arange(H) + 0.5) * h / H).astype(int))
    xs = np.minimum(w - 1, np.floor((np.arange(W) + 0.5) * w / W).astype(int))
    return a[ys][:, xs]

def crop256(im, W, H):  # eval_preprocess.py's crop with t = 256 for W = H = 224
    t = (max(W, H) * 256 + 112) // 224
    w, h = im.size; s = t / min(w, h)
    r = im.resize((max(t, round(w * s)), max(t, round(h * s))), Image.BILINEAR)
    l = (r.size[0] - W) // 2; tp = (r.size[1] - H) // 2
    return np.asarray(r.crop((l, tp, l + W, tp + H)))

def variant(im, name, W, H):
    a = np.asarray(im)
    if a.ndim == 2:
        a3 = a[:, :, None]
    else:
        a3 = a
    if name == 'bilinear_hp': out = bilinear_hp(a3, W, H)
    elif name == 'nearest': out = nearest(a3, W, H)
    elif name == 'pil_bilinear': out = np.asarray(im.resize((W, H), Image.BILINEAR))
    elif name == 'crop256': out = crop256(im, W, H)
    else: raise ValueError(name)
    return np.ascontiguousarray(out).reshape(H, W, -1)

def lcg_image(w, h, c, seed):
    # Same generator as lcgImage in the Go tests: x = (x*1103515245 + 12345) mod 2^31, byte = (x >> 16) & 255.
    x = seed; out = bytearray(w * h * c)
    for i in range(len(out)):
        x = (x * 1103515245 + 12345) & 0x7fffffff
        out[i] = (x >> 16) & 255
    return Image.frombytes('RGB' if c == 3 else 'L', (w, h), bytes(out))

def sha(b): return hashlib.sha256(bytes(b)).hexdigest()

def entry(arr, **kw):
    b = np.ascontiguousarray(arr, np.uint8).tobytes()
    e = dict(kw); e['sha256'] = sha(b)
    if len(b) <= 1200: e['hex'] = b.hex()
    return e

ref = {'generator': 'testdata/gen_reference.py', 'pillow': PIL.__version__, 'numpy': np.__version__}

# 1. Synthetic noise images through every variant.
srcs = {'rgb37x23': lcg_image(37, 23, 3, 1), 'gray37x23': lcg_image(37, 23, 1, 2), 'rgb300x200': lcg_image(300, 200, 3, 3),
        'rgb200x300': lcg_image(200, 300, 3, 4)}
sizes = {'rgb37x23': [(10, 7), (50, 40), (37, 11), (16, 23), (1, 1), (64, 5), (36, 22), (37, 23)],
         'gray37x23': [(10, 7), (50, 40), (19, 30)],
         'rgb300x200': [(64, 48), (224, 224), (299, 201), (7, 3)],
         'rgb200x300': [(32, 32)]}
syn = []
for name, im in srcs.items():
    for (W, H) in sizes[name]:
        for v in ('bilinear_hp', 'nearest', 'pil_bilinear'):
            syn.append(entry(variant(im, v, W, H), src=name, variant=v, w=W, h=H))
for name in ('rgb300x200', 'rgb200x300', 'rgb37x23', 'gray37x23'):
    for (W, H) in [(224, 224), (128, 128), (160, 96), (20, 20)]:
        syn.append(entry(variant(srcs[name], 'crop256', W, H), src=name, variant='crop256', w=W, h=H))
syn.append(entry(np.asarray(srcs['rgb37x23'].convert('L')), src='rgb37x23', variant='luma', w=37, h=23))
ref['synthetic'] = syn

# 2. Every sample image: Pillow's mode, size and RGB pixels (sha256; a 32x24 centre crop for JPEGs).
imgs = []
for rel in sorted(os.listdir(IM)) + ['imprinting/' + f for f in sorted(os.listdir(os.path.join(IM, 'imprinting')))]:
    p = os.path.join(IM, rel)
    if not rel.lower().endswith(('.bmp', '.jpg', '.png')): continue
    im = Image.open(p); rgb = np.asarray(im.convert('RGB'))
    e = {'file': rel, 'format': im.format, 'mode': im.mode, 'w': im.size[0], 'h': im.size[1], 'sha256': sha(rgb.tobytes())}
    if im.format == 'JPEG':
        x0, y0 = im.size[0] // 2 - 16, im.size[1] // 2 - 12
        e['crop'] = [x0, y0, 32, 24]; e['crop_hex'] = rgb[y0:y0 + 24, x0:x0 + 32].tobytes().hex()
    imgs.append(e)
ref['images'] = imgs

# 3. cat.bmp at 224x224 by each variant (sha256 of the whole image plus a 32x24 crop).
cat = Image.open(os.path.join(IM, 'cat.bmp')).convert('RGB')
c224 = []
for v in ('bilinear_hp', 'nearest', 'pil_bilinear', 'crop256'):
    a = variant(cat, v, 224, 224)
    c224.append({'variant': v, 'sha256': sha(a.tobytes()), 'crop': [96, 100, 32, 24], 'crop_hex': a[100:124, 96:128].tobytes().hex()})
ref['cat224'] = c224

# 4. Float tensors exactly as eval_preprocess.py builds them (sha256 of the little-endian float32 NCHW bytes).
def tensor_sha(x): return sha(np.ascontiguousarray(x, dtype='<f4').tobytes())
tens = []
for v in ('bilinear_hp', 'nearest', 'pil_bilinear', 'crop256'):
    a = variant(cat, v, 224, 224)
    x = ((a.astype(np.float32) / 255.0 - MEAN) / STD).transpose(2, 0, 1)[None]
    tens.append({'file': 'cat.bmp', 'spec': 'size=224x224x3,resize=%s,norm=imagenet' % v, 'sha256': tensor_sha(x)})
for f, v in (('sunflower.bmp', 'nearest'), ('person.bmp', 'bilinear_hp'), ('grace_hopper.bmp', 'pil_bilinear')):
    a = variant(Image.open(os.path.join(IM, f)).convert('RGB'), v, 128, 128)
    tens.append({'file': f, 'spec': 'size=128x128x3,resize=%s,norm=tf' % v, 'sha256': tensor_sha((a.astype(np.float32) / 127.5 - 1).transpose(2, 0, 1)[None])})
a = np.asarray(Image.open(os.path.join(IM, 'mnist_nine.bmp')).convert('L')).astype(np.float32)
tens.append({'file': 'mnist_nine.bmp', 'spec': 'size=28x28x1,norm=unit', 'sha256': tensor_sha((a / 255.0)[None, None])})
tens.append({'file': 'mnist_nine.bmp', 'spec': 'size=28x28x1,norm=raw', 'sha256': tensor_sha(a[None, None])})
ref['tensors'] = tens

with open(os.path.join(HERE, 'pillow_ref.json'), 'w') as f:
    json.dump(ref, f, indent=1, sort_keys=True); f.write('\n')
print('wrote', os.path.join(HERE, 'pillow_ref.json'), len(syn), 'synthetic,', len(imgs), 'images')
