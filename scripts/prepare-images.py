#!/usr/bin/python3
"""Prepares the image data sets of lessons 11-13 from Debian packages, once.

    scripts/prepare-images.py documents|photos|watermarks [--dest DIR]

writes into ${AELAB_CACHE:-${XDG_CACHE_HOME:-~/.cache}/aelab}/images/<set>/
(a temporary folder renamed into place when complete, so a stopped run
leaves nothing half made). Nothing is downloaded: every input comes from an
installed Debian package, and a missing one is named with the command that
installs it (exit status 2). Uses Python 3 with Pillow (python3-pil: the
FreeType text rendering, resizing, JPEG) and NumPy (python3-numpy: the dirt).

documents/   (grayscale PNG, 1 = paper, 0 = ink, 1728x2376 pixels: a fax page)
    Clean pages of two kinds:
      ccitt1..8   the eight CCITT fax test pages, real scans at 200 dpi from
                  jbigkit-testdata (GPL-2+), decoded by jbgtopbm (jbigkit-bin)
      text1..8    pages we render from the licence texts in
                  /usr/share/common-licenses (base-files) with the fonts of
                  fonts-dejavu-core (Bitstream Vera licence) and
                  fonts-liberation (SIL OFL 1.1), antialiased by FreeType
    train/ holds ccitt2,4,5,6,8 and text1..6; test/ ccitt1,3,7 and text7,8:
    the model never sees a test page. Each page <name>.clean.png comes with
    dirty copies <name>.dirty-L<k>.png at levels k = 1, 2, 3 (train: one
    level per page, cycling; test: all three). The dirt, all of it ours,
    drawn from a generator seeded by the page's name:
      uneven lighting  a smooth multiplicative field (darker by up to 12%·k)
      coffee stains    k rings (and their faint fill), 80-320 px across
      creases          k folds: a dark line with a light edge beside it
      blur             Gaussian, sigma 0.4·k pixels
      speckle          Gaussian noise (std 0.02·k) and dark specks (0.1%·k)
      JPEG artefacts   a save at quality 70, 45, 20 for k = 1, 2, 3
photos/      (RGB PNG, the short side 256 pixels)
    nature photos of mate-backgrounds (GPL-2+), the photographs among
    plasma-workspace-wallpapers (GPL-2+), and four sample images of
    scikit-image (python3-skimage; read from the installed package, or
    unpacked from the package file alone: its dependencies are heavy):
    astronaut and rocket (public domain), coffee and chelsea (CC0).
    test/ holds six held-out photos (two of them scikit-image's).
watermarks/  (RGB PNG; <photo>.<k>.png, the clean photo in photos/)
    the photos with our own marks blended as J = alpha*W + (1 - alpha)*I:
    text (the fonts above) or a simple logo (ring, star, bar), at random
    places, sizes, angles and opacities alpha in [0.3, 0.7]. The test photos
    carry texts and a logo shape that no training image shows.
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

# Bump a set's version when its output changes: the loaders compare it
# (bindings/aelab/imagedata.lua holds the same table).
VERSIONS = {"documents": "1", "photos": "2", "watermarks": "2"}


def die(msg, code=2):
    print("prepare-images: " + msg, file=sys.stderr)
    sys.exit(code)


try:
    import numpy as np
except ImportError:
    die("needs NumPy: apt-get install python3-numpy (or run scripts/install-deps.sh)")
try:
    from PIL import Image, ImageDraw, ImageFilter, ImageFont
except ImportError:
    die("needs Pillow: apt-get install python3-pil (or run scripts/install-deps.sh)")

JBIG_DIR = os.environ.get("AELAB_JBIG_DIR", "/usr/share/jbigkit-testdata")
MATE_DIR = os.environ.get("AELAB_MATE_DIR", "/usr/share/backgrounds/mate/nature")
PLASMA_DIR = os.environ.get("AELAB_PLASMA_DIR", "/usr/share/wallpapers")
SKIMAGE_DIR = os.environ.get("AELAB_SKIMAGE_DIR", "/usr/lib/python3/dist-packages/skimage/data")
# scikit-image's sample photos we use, with their licences (skimage/data/_fetchers.py)
SKIMAGE_PHOTOS = {"astronaut.png": "public domain (NASA)", "rocket.jpg": "public domain (SpaceX)",
                  "coffee.png": "CC0 (Rachel Michetti)", "chelsea.png": "CC0 (Stefan van der Walt)"}
LICENSES = "/usr/share/common-licenses"
DEJAVU = "/usr/share/fonts/truetype/dejavu"
LIBERATION = "/usr/share/fonts/truetype/liberation"

# Of plasma's wallpapers, the photographs (the rest are drawings).
PLASMA_PHOTOS = ["BytheWater", "ColdRipple", "EveningGlow", "FallenLeaf", "OneStandsOut", "Path", "summer_1am",
                 "Volna"]
TEST_PHOTOS = ["LadyBird", "Storm", "EveningGlow", "Path", "coffee", "chelsea"]

TRAIN_FONTS = [(DEJAVU, "DejaVuSerif.ttf"), (DEJAVU, "DejaVuSans.ttf"), (LIBERATION, "LiberationSerif-Regular.ttf"),
               (LIBERATION, "LiberationSans-Regular.ttf"), (LIBERATION, "LiberationMono-Regular.ttf"),
               (DEJAVU, "DejaVuSansCondensed.ttf")]
TEST_FONTS = [(DEJAVU, "DejaVuSerifCondensed.ttf"), (LIBERATION, "LiberationSans-Italic.ttf")]
TEXTS = ["GPL-2", "Apache-2.0", "LGPL-2.1", "MPL-2.0", "Artistic", "GFDL-1.3", "GPL-3", "BSD"]
FONT_PACKAGE = {DEJAVU: "fonts-dejavu-core", LIBERATION: "fonts-liberation"}

PAGE_W, PAGE_H = 1728, 2376

TRAIN_MARKS = ["SAMPLE", "© aelab", "PROOF", "DRAFT", "© Photo Lab", "COPY", "preview", "stock"]
TEST_MARKS = ["CONFIDENTIAL", "© 2026 Nordlicht", "not for sale"]


def rng_for(name):
    return np.random.default_rng(int(hashlib.sha256(name.encode()).hexdigest()[:15], 16))


def need_file(path, package):
    if not os.path.exists(path):
        die("%s is missing: install the Debian package %s (apt-get install %s, or run scripts/install-deps.sh)"
            % (path, package, package))


def cache_root():
    c = os.environ.get("AELAB_CACHE")
    if not c:
        xdg = os.environ.get("XDG_CACHE_HOME")
        c = os.path.join(xdg if xdg else os.path.join(os.environ.get("HOME", "."), ".cache"), "aelab")
    return c


def save_gray(a, path):
    Image.fromarray(np.clip(a * 255 + 0.5, 0, 255).astype(np.uint8), "L").save(path)


# ---- documents ----

def ccitt_page(k, tmp):
    src = os.path.join(JBIG_DIR, "ccitt%d.jbg" % k)
    need_file(src, "jbigkit-testdata")
    tool = shutil.which("jbgtopbm")
    if not tool:
        die("jbgtopbm is missing: install the Debian package jbigkit-bin (apt-get install jbigkit-bin, "
            "or run scripts/install-deps.sh)")
    out = os.path.join(tmp, "ccitt%d.pbm" % k)
    r = subprocess.run([tool, src, out], capture_output=True, text=True)
    if r.returncode != 0:
        die("jbgtopbm failed on %s: %s" % (src, r.stderr.strip()), 1)
    page = np.asarray(Image.open(out).convert("L"), dtype=np.float32) / 255.0
    os.remove(out)
    h, w = page.shape
    if (h, w) != (PAGE_H, PAGE_W):  # the CCITT pages are 1728 wide; heights vary a little
        full = np.ones((PAGE_H, PAGE_W), np.float32)
        full[:min(h, PAGE_H), :min(w, PAGE_W)] = page[:PAGE_H, :PAGE_W]
        page = full
    return page


def text_page(k, font_file, text_name):
    path = os.path.join(LICENSES, text_name)
    need_file(path, "base-files")
    need_file(os.path.join(*font_file), FONT_PACKAGE[font_file[0]])
    r = rng_for("text%d" % k)
    size = int(r.integers(30, 46))  # 11-16 pt at 200 dpi
    font = ImageFont.truetype(os.path.join(*font_file), size)
    words = open(path, encoding="utf-8", errors="replace").read().split()
    start = int(r.integers(0, max(1, len(words) - 2000)))
    words = words[start:]
    img = Image.new("L", (PAGE_W, PAGE_H), 255)
    d = ImageDraw.Draw(img)
    margin, y, line_h = 150, 170, int(size * 1.45)
    i = 0
    # a title line, bigger
    title = ImageFont.truetype(os.path.join(*font_file), size * 2)
    d.text((margin, y), text_name.replace("-", " "), font=title, fill=0)
    y += size * 3
    while y + line_h < PAGE_H - 170 and i < len(words):
        line = ""
        while i < len(words):
            cand = (line + " " + words[i]).strip()
            if d.textlength(cand, font=font) > PAGE_W - 2 * margin:
                break
            line = cand
            i += 1
        if not line:  # a word wider than the page
            i += 1
            continue
        d.text((margin, y), line, font=font, fill=0)
        y += line_h
        if r.random() < 0.06:
            y += line_h  # paragraph breaks
    return np.asarray(img, dtype=np.float32) / 255.0


def smooth_field(r, h, w, cells):
    """a smooth random field in [0, 1]: a few random values bilinearly upsampled"""
    g = r.random((cells + 1, cells + 1)).astype(np.float32)
    img = Image.fromarray((g * 255).astype(np.uint8), "L").resize((w, h), Image.BICUBIC)
    return np.asarray(img, dtype=np.float32) / 255.0


def dirty(clean, level, name):
    r = rng_for(name + "-L%d" % level)
    h, w = clean.shape
    # blur first: it is the optics of the scanner, before the paper's stains
    sigma = 0.4 * level
    page = np.asarray(Image.fromarray(np.clip(clean * 255, 0, 255).astype(np.uint8), "L")
                      .filter(ImageFilter.GaussianBlur(sigma)), dtype=np.float32) / 255.0
    # uneven lighting
    light = 1.0 - 0.12 * level * smooth_field(r, h, w, 3)
    page = page * light
    # coffee stains: rings of darker paper with a faint fill
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(level):
        cy, cx = r.uniform(0, h), r.uniform(0, w)
        rad = r.uniform(40, 160)
        wobble = 1 + 0.05 * np.sin(np.arctan2(yy - cy, xx - cx) * r.integers(3, 7) + r.uniform(0, 6))
        dist = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2) / (rad * wobble)
        ring = np.exp(-((dist - 1) / 0.04) ** 2) * 0.35 + (dist < 1) * 0.08
        page = page * (1 - r.uniform(0.6, 1.0) * ring)
    # creases: a fold line, dark with a light edge
    for _ in range(level):
        ang = r.uniform(0, np.pi)
        cy, cx = r.uniform(0, h), r.uniform(0, w)
        d = (xx - cx) * np.sin(ang) - (yy - cy) * np.cos(ang)
        crease = -0.3 * np.exp(-(d / 2.0) ** 2) + 0.08 * np.exp(-((d - 5) / 3.0) ** 2)
        page = page + crease * page
    # speckle
    page = page + r.normal(0, 0.02 * level, page.shape).astype(np.float32)
    specks = r.random(page.shape) < 0.001 * level
    page[specks] = r.uniform(0, 0.4, int(specks.sum()))
    page = np.clip(page, 0, 1)
    # JPEG artefacts: through a real JPEG encoder
    import io
    buf = io.BytesIO()
    Image.fromarray((page * 255 + 0.5).astype(np.uint8), "L").save(buf, "JPEG", quality={1: 70, 2: 45, 3: 20}[level])
    buf.seek(0)
    return np.asarray(Image.open(buf), dtype=np.float32) / 255.0


def make_documents(dest, tmp):
    train = [("ccitt%d" % k, lambda k=k: ccitt_page(k, tmp)) for k in (2, 4, 5, 6, 8)]
    test = [("ccitt%d" % k, lambda k=k: ccitt_page(k, tmp)) for k in (1, 3, 7)]
    for k in range(1, 7):
        train.append(("text%d" % k, lambda k=k: text_page(k, TRAIN_FONTS[k - 1], TEXTS[k - 1])))
    for k in (7, 8):
        test.append(("text%d" % k, lambda k=k: text_page(k, TEST_FONTS[k - 7], TEXTS[k - 1])))
    for split, pages in (("train", train), ("test", test)):
        os.makedirs(os.path.join(dest, split))
        for i, (name, make) in enumerate(pages):
            clean = make()
            save_gray(clean, os.path.join(dest, split, name + ".clean.png"))
            levels = [1 + i % 3] if split == "train" else [1, 2, 3]
            for level in levels:
                save_gray(dirty(clean, level, name), os.path.join(dest, split, "%s.dirty-L%d.png" % (name, level)))
            print("prepare-images: documents/%s/%s (levels %s)" % (split, name, levels), file=sys.stderr)


# ---- photos ----

def skimage_dir(tmp):
    """scikit-image's data folder: installed, or unpacked from its package alone (its dependencies,
    matplotlib, scipy and more, are not needed for four pictures)"""
    if os.path.isdir(SKIMAGE_DIR):
        return SKIMAGE_DIR
    if "AELAB_SKIMAGE_DIR" in os.environ:
        die("%s is missing (AELAB_SKIMAGE_DIR): install the Debian package python3-skimage" % SKIMAGE_DIR)
    if not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        why = "apt-get or dpkg-deb is not on PATH"
    else:
        why = unpack_skimage(tmp)
        if not why:
            d = os.path.join(tmp, "skimage", "usr", "lib", "python3", "dist-packages", "skimage", "data")
            if os.path.isdir(d):
                return d
            why = "the package holds no skimage/data folder"
    die("scikit-image's sample images are missing: install the Debian package python3-skimage "
        "(apt-get install python3-skimage), or let this script unpack its files alone; that failed: %s" % why)


def last_line(text):
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else "no message"


def unpack_skimage(tmp):
    """apt-get download python3-skimage, dpkg-deb -x it into tmp/skimage; None, or what went wrong"""
    # fixed argv lists, no shell: nothing of the user's reaches a command line
    r = subprocess.run(["apt-get", "download", "python3-skimage"], cwd=tmp, capture_output=True, text=True)
    if r.returncode != 0:
        return "apt-get download python3-skimage exited with %d: %s" % (r.returncode, last_line(r.stderr))
    debs = sorted(f for f in os.listdir(tmp) if f.startswith("python3-skimage_") and f.endswith(".deb"))
    if not debs:
        return "apt-get download python3-skimage left no python3-skimage_*.deb file"
    r = subprocess.run(["dpkg-deb", "-x", os.path.join(tmp, debs[0]), os.path.join(tmp, "skimage")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "dpkg-deb -x %s exited with %d: %s" % (debs[0], r.returncode, last_line(r.stderr))
    print("prepare-images: unpacked scikit-image's sample images from %s" % debs[0], file=sys.stderr)
    return None


def photo_sources(tmp):
    need_file(MATE_DIR, "mate-backgrounds")
    need_file(PLASMA_DIR, "plasma-workspace-wallpapers")
    out = []
    for f in sorted(os.listdir(MATE_DIR)):
        if f.lower().endswith(".jpg"):
            out.append((f[:-4], os.path.join(MATE_DIR, f)))
    for name in PLASMA_PHOTOS:
        d = os.path.join(PLASMA_DIR, name, "contents", "images")
        need_file(d, "plasma-workspace-wallpapers")
        files = sorted(os.listdir(d))
        pick = "1920x1080.jpg" if "1920x1080.jpg" in files else files[-1]
        out.append((name, os.path.join(d, pick)))
    sk = skimage_dir(tmp)
    for f in sorted(SKIMAGE_PHOTOS):
        need_file(os.path.join(sk, f), "python3-skimage")
        out.append((f.rsplit(".", 1)[0], os.path.join(sk, f)))
    return out


def make_photos(dest, tmp):
    for split in ("train", "test"):
        os.makedirs(os.path.join(dest, split))
    for name, path in photo_sources(tmp):
        img = Image.open(path).convert("RGB")
        w, h = img.size
        s = 256 / min(w, h)
        img = img.resize((max(256, round(w * s)), max(256, round(h * s))), Image.LANCZOS)
        split = "test" if name in TEST_PHOTOS else "train"
        img.save(os.path.join(dest, split, name + ".png"))
        print("prepare-images: photos/%s/%s.png from %s" % (split, name, path), file=sys.stderr)


# ---- watermarks ----

def logo_mask(r, size, shape):
    m = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(m)
    if shape == "ring":
        d.ellipse((2, 2, size - 3, size - 3), outline=255, width=max(2, size // 8))
    elif shape == "bar":
        d.rectangle((2, size // 3, size - 3, 2 * size // 3), fill=255)
    elif shape == "star":
        pts = []
        for k in range(10):
            rad = (size / 2 - 2) * (1 if k % 2 == 0 else 0.45)
            a = np.pi / 2 + k * np.pi / 5
            pts.append((size / 2 + rad * np.cos(a), size / 2 - rad * np.sin(a)))
        d.polygon(pts, fill=255)
    else:  # "triangle": the test set's unseen shape
        d.polygon([(size / 2, 2), (size - 3, size - 3), (2, size - 3)], outline=255, width=max(2, size // 8))
    return m


def watermark(photo, r, texts, logos):
    w, h = photo.size
    mask = Image.new("L", (w, h), 0)
    n = int(r.integers(1, 3))
    for _ in range(n):
        if r.random() < 0.7:
            text = texts[int(r.integers(len(texts)))]
            font_file = [(DEJAVU, "DejaVuSans-Bold.ttf"), (LIBERATION, "LiberationSerif-Bold.ttf"),
                         (DEJAVU, "DejaVuSerif.ttf")][int(r.integers(3))]
            need_file(os.path.join(*font_file), FONT_PACKAGE[font_file[0]])
            font = ImageFont.truetype(os.path.join(*font_file), int(r.integers(22, 56)))
            layer = Image.new("L", (w * 2, h), 0)
            ImageDraw.Draw(layer).text((10, 10), text, font=font, fill=255)
            bbox = layer.getbbox()
            piece = layer.crop(bbox)
        else:
            piece = logo_mask(r, int(r.integers(30, 90)), logos[int(r.integers(len(logos)))])
        piece = piece.rotate(float(r.uniform(-35, 35)), expand=True, resample=Image.BICUBIC)
        pw, ph = piece.size
        if pw >= w or ph >= h:
            piece = piece.resize((min(pw, w - 2), min(ph, h - 2)))
            pw, ph = piece.size
        x, y = int(r.integers(0, w - pw)), int(r.integers(0, h - ph))
        mask.paste(Image.fromarray(np.maximum(np.asarray(mask.crop((x, y, x + pw, y + ph))), np.asarray(piece))),
                   (x, y))
    alpha = float(r.uniform(0.3, 0.7))
    colour = np.array([255, 255, 255] if r.random() < 0.7 else [0, 0, 0], np.float32)
    I = np.asarray(photo, dtype=np.float32)
    m = (np.asarray(mask, dtype=np.float32) / 255.0)[:, :, None] * alpha
    J = m * colour + (1 - m) * I  # J = alpha W + (1 - alpha) I where the mark is
    return Image.fromarray(np.clip(J + 0.5, 0, 255).astype(np.uint8), "RGB")


def make_watermarks(dest, tmp):
    photos = make_set("photos")  # made first if missing or out of date
    for split, per, texts, logos in (("train", 6, TRAIN_MARKS, ["ring", "bar", "star"]),
                                     ("test", 2, TEST_MARKS, ["triangle"])):
        os.makedirs(os.path.join(dest, split))
        for f in sorted(os.listdir(os.path.join(photos, split))):
            name = f[:-4]
            photo = Image.open(os.path.join(photos, split, f)).convert("RGB")
            for k in range(1, per + 1):
                r = rng_for("%s-%s-%d" % (split, name, k))
                watermark(photo, r, texts, logos).save(os.path.join(dest, split, "%s.%d.png" % (name, k)))
        print("prepare-images: watermarks/%s (%d per photo)" % (split, per), file=sys.stderr)


MAKERS = {"documents": make_documents, "photos": make_photos, "watermarks": make_watermarks}


def make_set(name, dest_root=None):
    root = os.path.join(dest_root or cache_root(), "images")
    final = os.path.join(root, name)
    stamp = os.path.join(final, "VERSION")
    if os.path.exists(stamp) and open(stamp).read().strip() == VERSIONS[name]:
        return final
    os.makedirs(root, exist_ok=True)
    work = tempfile.mkdtemp(prefix="." + name + ".partial-", dir=root)
    scratch = tempfile.mkdtemp(prefix=".scratch-", dir=root)
    try:
        MAKERS[name](work, scratch)
        with open(os.path.join(work, "VERSION"), "w") as f:
            f.write(VERSIONS[name] + "\n")
        with open(os.path.join(work, "README.md"), "w") as f:
            f.write("Made by aelab's scripts/prepare-images.py; its header says from what and how.\n")
        if os.path.exists(final):
            shutil.rmtree(final)
        try:
            os.rename(work, final)
        except OSError:
            # another run made it meanwhile: keep theirs if it is complete
            if not (os.path.exists(stamp) and open(stamp).read().strip() == VERSIONS[name]):
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return final


def main():
    p = argparse.ArgumentParser(description="Prepare aelab's image data sets from Debian packages.")
    p.add_argument("set", choices=sorted(MAKERS))
    p.add_argument("--dest", help="cache folder (default: $AELAB_CACHE or ~/.cache/aelab)")
    a = p.parse_args()
    if a.dest:
        os.environ["AELAB_CACHE"] = a.dest  # the watermarks read the photos from there too
    try:
        print(make_set(a.set))
    except (Exception, KeyboardInterrupt) as e:  # not SystemExit: die() has said why already
        # a damaged source file, a full disk, ...: one line naming it, not a traceback
        die("the %s set could not be made (nothing was left in the cache): %s: %s"
            % (a.set, type(e).__name__, e), 1)


if __name__ == "__main__":
    main()
