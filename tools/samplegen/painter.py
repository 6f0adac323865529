"""Drawing a scene's frames: the set, the work going on, the mishaps, the camera and
the hand at the lens."""

from __future__ import annotations

import math

import cv2
import numpy as np

from tools.samplegen.scene import (
    DROP_FALL,
    DROP_ROLL,
    LIGHT_OFF,
    PAN_BACK,
    PAN_FAST,
    PAN_HOLD,
    RGB,
    SPILL_TIP,
    Happening,
    SceneSpec,
    Shot,
    cover_at,
    drop_height,
    drop_impacts,
    ease,
)
from tools.samplegen.textures import blob, box, light_map, surface, wall

SKIN: RGB = (214, 160, 128)


class Painter:
    """Draws one scene's frames at one size. Everything random is drawn from the seed."""

    def __init__(self, spec: SceneSpec, width: int, height: int, fps: float) -> None:
        self.spec, self.w, self.h, self.fps = spec, width, height, fps
        self.u = min(width, height) / 360.0  # sizes below are in px at 360p
        self.margin = int(spec.shake * width) if spec.handheld else 0
        pans = [h for h in spec.happenings if h.kind == "pan"]
        self.pan_span = int(0.8 * width) if pans else 0
        rng = np.random.default_rng(spec.seed)
        self.shake = rng.uniform(0, 2 * math.pi, (2, 3))
        self.backgrounds = {s: self._background(s, rng) for s in spec.shots}
        self.lights = {
            s: light_map(height, width, 0.15 if s.work == "dish" else 0.4) for s in spec.shots
        }
        self.droplets = {h: rng.uniform(-1, 1, (40, 4)) for h in spec.happenings}
        self.blobs = {h: rng.uniform(0, 2 * math.pi, 4) for h in spec.happenings}

    # geometry -------------------------------------------------------------
    def px(self, nx: float, ny: float) -> tuple[float, float]:
        """World pixel of a point given as a fraction of the (home) view."""
        return self.margin + nx * self.w, self.margin + ny * self.h

    def camera(self, t: float) -> tuple[float, float]:
        """Top-left of the view in the world: pan plus hand shake."""
        x = y = float(self.margin)
        for h in self.spec.happenings:
            if h.kind == "pan":
                tau = t - h.start
                go = ease(tau / PAN_FAST) - ease((tau - PAN_FAST - PAN_HOLD) / PAN_BACK)
                x += self.pan_span * go
        if self.spec.handheld and self.spec.shot_at(t).work != "dish":
            f = (0.9, 1.7, 3.1)
            amp = (0.4, 0.2, 0.1)
            for k in range(3):
                x += self.margin * amp[k] * math.sin(2 * math.pi * f[k] * t + self.shake[0, k])
                y += self.margin * amp[k] * math.sin(2 * math.pi * f[k] * t + self.shake[1, k])
        return x, y

    # static set ------------------------------------------------------------
    def _background(self, shot: Shot, rng: np.random.Generator) -> np.ndarray:
        hw, ww = self.h + 2 * self.margin, self.w + 2 * self.margin + self.pan_span
        u = self.u
        img = surface(rng, shot.surface, hw, ww, u)
        if shot.work != "dish":
            horizon = int(self.margin + 0.28 * self.h)
            img[:horizon] = wall(rng, horizon, ww, u)
            img[horizon : horizon + int(4 * u)] *= 0.6  # the counter's back edge in shadow
        img = np.clip(img, 0, 255).astype(np.uint8)
        if shot.work == "dish":
            self._plate(img, rng)
        else:
            self._props(img, rng)
        return img

    def _props(self, img: np.ndarray, rng: np.random.Generator) -> None:
        """A bowl, a jar and a towel here and there, away from the action."""
        u, ww = self.u, img.shape[1]
        for k in range(3 + self.pan_span // max(1, self.w // 3)):
            cx = int(self.margin + rng.uniform(0.05, 0.2) * self.w + k * 0.42 * self.w) % ww
            cy = int(self.margin + rng.uniform(0.35, 0.45) * self.h)
            col = tuple(int(c) for c in rng.integers(60, 230, 3))
            if k % 3 == 0:
                blob(img, (cx, cy), (int(38 * u), int(18 * u)), col)
                inner = tuple(int(c * 0.6) for c in col)
                blob(img, (cx, cy - int(3 * u)), (int(30 * u), int(11 * u)), inner)
            elif k % 3 == 1:
                box(img, (cx - int(12 * u), cy - int(50 * u)), (cx + int(12 * u), cy), col)
                box(
                    img,
                    (cx - int(9 * u), cy - int(58 * u)),
                    (cx + int(9 * u), cy - int(50 * u)),
                    (40, 40, 40),
                )
            else:
                for i in range(5):
                    c = col if i % 2 else (235, 235, 230)
                    x0 = cx + int(i * 10 * u)
                    box(img, (x0, cy - int(20 * u)), (x0 + int(10 * u), cy + int(25 * u)), c)

    def _plate(self, img: np.ndarray, rng: np.random.Generator) -> None:
        """A finished dish: white plate, pasta, sauce and basil."""
        u = self.u
        cx, cy = (int(v) for v in self.px(0.5, 0.52))
        r = int(125 * u)
        blob(
            img, (cx + int(6 * u), cy + int(8 * u)), (r, int(r * 0.8)), (150, 145, 140)
        )  # soft shadow
        blob(img, (cx, cy), (r, int(r * 0.8)), (236, 236, 232))
        blob(img, (cx, cy), (int(r * 0.7), int(r * 0.56)), (246, 246, 244))
        for _ in range(140):  # strands of pasta
            a, d = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.5) * r
            p = (int(cx + d * math.cos(a)), int(cy + 0.8 * d * math.sin(a)))
            axes = (int(rng.uniform(8, 20) * u), int(rng.uniform(3, 8) * u))
            cv2.ellipse(
                img,
                p,
                axes,
                rng.uniform(0, 180),
                0,
                rng.uniform(120, 300),
                (228, 190, 95),
                max(1, int(2 * u)),
                16,
            )
        for _ in range(6):
            a, d = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.25) * r
            p = (int(cx + d * math.cos(a)), int(cy + 0.8 * d * math.sin(a)))
            cv2.circle(img, p, int(rng.uniform(8, 15) * u), (170, 35, 25), -1, 16)
        for _ in range(5):
            a, d = rng.uniform(0, 2 * math.pi), rng.uniform(0, 0.3) * r
            p = (int(cx + d * math.cos(a)), int(cy + 0.8 * d * math.sin(a)))
            blob(img, p, (int(9 * u), int(5 * u)), (50, 125, 40), rng.uniform(0, 180))

    # one frame -------------------------------------------------------------
    def frame(self, t: float) -> np.ndarray:
        """The displayed RGB picture at ``t`` seconds."""
        shot = self.spec.shot_at(t)
        world = self.backgrounds[shot].copy()
        if shot.work == "stir":
            self._stir(world, t)
        elif shot.work == "chop":
            self._chop(world, t)
        for h in self.spec.happenings:
            tau = t - h.start
            if shot.work == "dish":
                continue
            if h.kind == "drop" and tau >= 0:
                self._drop(world, h, tau)
            elif h.kind == "spill":
                self._spill(world, h, tau)
        view = self._view(world, t)
        if shot.work != "dish":  # working shots are a touch soft; the dish is crisp
            view = cv2.GaussianBlur(view, (0, 0), 0.7 * self.u)
        view = self._hand(view, t)
        return self._expose(view, shot, t)

    def _view(self, world: np.ndarray, t: float) -> np.ndarray:
        """Crop the camera's view, smeared along a fast pan."""
        x, y = self.camera(t)
        m = np.array([[1, 0, -x], [0, 1, -y]], np.float32)
        view = cv2.warpAffine(
            world, m, (self.w, self.h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        speed = abs(self.camera(t + 0.25 / self.fps)[0] - self.camera(t - 0.25 / self.fps)[0])
        if speed > 3:
            view = cv2.blur(view, (int(speed), 1))
        return view

    def _expose(self, view: np.ndarray, shot: Shot, t: float) -> np.ndarray:
        """Room light, vignetting and sensor noise (stronger when it is dark)."""
        gain = 1.0
        for h in self.spec.happenings:
            if h.kind == "light" and h.start <= t < h.start + LIGHT_OFF:
                gain = 0.13
        rng = np.random.default_rng([self.spec.seed, int(round(t * 1000))])
        noise = rng.standard_normal((self.h, self.w, 1), dtype=np.float32)
        sigma = 3.0 / math.sqrt(gain)  # ISO noise: more gain in the dark
        out = view.astype(np.float32) * (self.lights[shot] * gain) + sigma * noise
        return np.clip(out, 0, 255).astype(np.uint8)

    # normal work -------------------------------------------------------------
    def _arm(self, img: np.ndarray, hand: tuple[int, int], elbow: tuple[int, int]) -> None:
        """A forearm from off-frame to a hand holding something."""
        u = self.u
        cv2.line(img, elbow, hand, (190, 140, 110), int(24 * u), 16)
        blob(img, hand, (int(22 * u), int(16 * u)), SKIN, 20)

    def _stir(self, img: np.ndarray, t: float) -> None:
        """A spoon circling in a pot of soup, once every 1.3 s, all the time."""
        u = self.u
        cx, cy = (int(v) for v in self.px(0.4, 0.62))
        rx, ry = int(80 * u), int(50 * u)
        blob(img, (cx, cy + int(10 * u)), (rx + int(6 * u), ry + int(6 * u)), (45, 45, 50))
        blob(img, (cx, cy), (rx, ry), (150, 150, 155))
        blob(img, (cx, cy), (rx - int(7 * u), ry - int(6 * u)), (180, 95, 40))
        a = 2 * math.pi * t / 1.3
        for k in range(9):  # vegetables carried round by the stirring
            b = a * 0.8 + k * 0.7
            d = 0.25 + 0.07 * (k % 5)
            p = (int(cx + rx * d * 2 * math.cos(b) * 0.8), int(cy + ry * d * 2 * math.sin(b) * 0.8))
            col = (240, 200, 60) if k % 2 else (80, 150, 50)
            cv2.circle(img, p, int(6 * u), col, -1, 16)
        bowl = (int(cx + 0.5 * rx * math.cos(a)), int(cy + 0.5 * ry * math.sin(a)))
        # The hand moves less than the spoon's bowl: the spoon pivots in the fingers.
        grip = (int(cx + 70 * u + 0.3 * (bowl[0] - cx)), int(cy - 95 * u + 0.3 * (bowl[1] - cy)))
        cv2.line(img, bowl, grip, (120, 80, 45), int(7 * u), 16)
        blob(img, bowl, (int(14 * u), int(9 * u)), (130, 88, 50), math.degrees(a))
        self._arm(img, grip, (cx + int(210 * u), cy - int(255 * u)))  # the elbow stays put

    def _chop(self, img: np.ndarray, t: float) -> None:
        """A knife chopping a carrot, 2.6 strokes a second, rocking on its tip."""
        u = self.u
        bx, by = (int(v) for v in self.px(0.38, 0.66))
        box(
            img,
            (bx - int(120 * u), by - int(45 * u)),
            (bx + int(120 * u), by + int(45 * u)),
            (196, 160, 110),
        )
        strokes = t * 2.6
        lift = 0.5 - 0.5 * math.cos(2 * math.pi * (strokes % 1.0))
        # The knife works slowly along the carrot and back: no sudden jumps.
        kx = bx + int(45 * u * (0.5 - 0.5 * math.cos(2 * math.pi * t / 11.0)))
        box(img, (bx - int(80 * u), by - int(9 * u)), (kx, by + int(9 * u)), (235, 120, 30))
        for i in range(10):  # slices already cut, in a little heap
            x0 = bx - int(80 * u) - int((10 - i) * 5 * u)
            top, bottom = (by - int(9 * u), by + int(9 * u))
            box(img, (x0, top), (x0 + int(4 * u), bottom), (225, 110, 25))
        ang = math.radians(8 + 12 * lift)
        tip = (kx - int(25 * u), by)
        heel = (int(tip[0] + 95 * u * math.cos(ang)), int(tip[1] - 95 * u * math.sin(ang)))
        back = (int(heel[0] + 40 * u * math.cos(ang)), int(heel[1] - 40 * u * math.sin(ang)))
        cv2.line(img, tip, heel, (200, 205, 210), int(14 * u), 16)
        cv2.line(img, heel, back, (35, 30, 30), int(9 * u), 16)
        self._arm(img, back, (bx + int(200 * u), by - int(190 * u)))  # the elbow stays put
        hold = (bx - int(100 * u), by - int(14 * u) + int(2 * u * math.sin(t * 3)))
        self._arm(img, hold, (hold[0] - int(120 * u), hold[1] - int(130 * u)))

    # mishaps -------------------------------------------------------------------
    def _streak(
        self,
        img: np.ndarray,
        p0: tuple[float, float],
        p1: tuple[float, float],
        r: float,
        color: RGB,
    ) -> None:
        """A fast round object seen through an open shutter: a translucent streak."""
        x0, x1 = sorted((p0[0], p1[0]))
        y0, y1 = sorted((p0[1], p1[1]))
        pad = int(r) + 3
        a, b = max(0, int(y0) - pad), min(img.shape[0], int(y1) + pad + 1)
        c, d = max(0, int(x0) - pad), min(img.shape[1], int(x1) + pad + 1)
        if a >= b or c >= d:
            return
        roi = img[a:b, c:d]
        layer = roi.copy()
        q0 = (int(p0[0]) - c, int(p0[1]) - a)
        q1 = (int(p1[0]) - c, int(p1[1]) - a)
        cv2.line(layer, q0, q1, color, max(1, int(2 * r)), 16)
        cv2.circle(layer, q1, max(1, int(r)), color, -1, 16)
        length = math.dist(p0, p1)
        alpha = min(1.0, (2 * r + 1) / (2 * r + 1 + length)) ** 0.5
        roi[:] = cv2.addWeighted(layer, alpha, roi, 1 - alpha, 0)

    def _drop(self, img: np.ndarray, h: Happening, tau: float) -> None:
        """Something falls from above the frame, hits the counter, bounces and rolls."""
        u, half = self.u, 0.25 / self.fps
        r = 28 * u
        floor = self.px(0, 0.8)[1] - r
        top = self.px(0, -0.12)[1]

        def pos(s: float) -> tuple[float, float]:
            s = max(s, 0.0)
            roll = min(s, drop_impacts()[-1] + DROP_ROLL)
            x = self.px(h.x, 0)[0] + 60 * u * roll
            return x, floor - (floor - top) * drop_height(s)

        p0, p1 = pos(tau - half), pos(tau + half)
        lift = (floor - p1[1]) / (floor - top)
        blob(
            img, (int(p1[0]), int(floor + r)), (int(r * (1 + lift)), int(r * 0.35)), (60, 50, 45)
        )  # its shadow, softer when it is high
        self._streak(img, p0, p1, r, h.color)
        if tau > DROP_FALL:  # bits knocked off at the first impact
            hit = (pos(DROP_FALL)[0], floor + 0.5 * r)
            self._droplets(img, h, hit, tau - DROP_FALL, 14)
        if p0 == p1:  # at rest: give it some shading
            hi = tuple(min(255, c + 70) for c in h.color)
            cv2.circle(img, (int(p1[0] - r / 3), int(p1[1] - r / 3)), int(r / 3), hi, -1, 16)

    def _spill(self, img: np.ndarray, h: Happening, tau: float) -> None:
        """A glass of juice tips over: a fast spreading puddle and flying droplets."""
        u = self.u
        px, py = self.px(h.x, h.y)
        if tau > SPILL_TIP:
            self._puddle(img, h, (px + 75 * u, py), tau - SPILL_TIP)
        ang = math.radians(90 * min(1.0, max(0.0, tau) / SPILL_TIP) ** 2)
        gw, gh = 30 * u, 72 * u
        corners = [(-gw, 0.0), (0.0, 0.0), (0.0, -gh), (-gw, -gh)]
        pts = [
            (px + x * math.cos(ang) - y * math.sin(ang), py + x * math.sin(ang) + y * math.cos(ang))
            for x, y in corners
        ]
        poly = np.array(pts, np.int32)
        fill = [
            pts[0],
            pts[1],
            (pts[1][0] + (pts[2][0] - pts[1][0]) * 0.7, pts[1][1] + (pts[2][1] - pts[1][1]) * 0.7),
            (pts[0][0] + (pts[3][0] - pts[0][0]) * 0.7, pts[0][1] + (pts[3][1] - pts[0][1]) * 0.7),
        ]
        if tau < SPILL_TIP:
            cv2.fillPoly(img, [np.array(fill, np.int32)], h.color, 16)
        cv2.polylines(img, [poly], True, (225, 230, 235), max(1, int(2 * u)), 16)
        if tau > SPILL_TIP:
            self._droplets(img, h, (px + 66 * u, py - 12 * u), tau - SPILL_TIP, 40)

    def _puddle(self, img: np.ndarray, h: Happening, c: tuple[float, float], s: float) -> None:
        u = self.u
        radius = 95 * u * (1 - math.exp(-s / 0.15))
        ph = self.blobs[h]
        a = np.linspace(0, 2 * math.pi, 40, endpoint=False)
        rr = radius * (1 + 0.22 * np.sin(3 * a + ph[0]) + 0.12 * np.sin(5 * a + ph[1]))
        pts = np.stack([c[0] + rr * np.cos(a) * 1.3, c[1] + rr * np.sin(a) * 0.45], 1)
        cv2.fillPoly(img, [pts.astype(np.int32)], tuple(int(v * 0.85) for v in h.color), 16)
        inner = (pts - c) * 0.6 + c
        cv2.fillPoly(img, [inner.astype(np.int32)], h.color, 16)

    def _droplets(
        self, img: np.ndarray, h: Happening, c: tuple[float, float], s: float, n: int
    ) -> None:
        """``n`` drops or bits flung from ``c``, ``s`` s ago; they stay where they land."""
        u, half = self.u, 0.25 / self.fps
        g = 1800 * u
        for vx, vy, land, size in self.droplets[h][:n]:
            vx, vy = 260 * u * vx + 120 * u, -220 * u * (1.2 + vy)
            floor = c[1] + 25 * u * (1.5 + land)
            ends = []
            for q in (s - half, s + half):
                q = max(q, 0.0)
                y = c[1] + vy * q + 0.5 * g * q * q
                ends.append((c[0] + vx * q, min(y, floor)))
            self._streak(img, ends[0], ends[1], (3.5 + 1.5 * size) * u, h.color)

    # the hand at the lens --------------------------------------------------------
    def _cover(self, t: float) -> float:
        """How far the hand has come towards the lens: 1 = lens covered."""
        return cover_at(self.spec, t)

    def _hand(self, view: np.ndarray, t: float) -> np.ndarray:
        """A hand and arm reaching in, big, blurred and dark as it nears the lens."""
        c = self._cover(t)
        if c <= 0.01:
            return view
        w, h = self.w // 4, self.h // 4  # drawn small: it is a blur anyway
        k = max(w, h)
        cx = w * (0.85 - 0.35 * c)
        cy = h * (1.25 - 0.75 * c)
        size = k * (0.18 + 1.3 * c * c)
        mask: np.ndarray = np.zeros((h, w), np.float32)
        blob(mask, (int(cx), int(cy)), (int(size), int(size * 0.8)), 1.0, -20)
        for i in range(4):  # fingers
            fx = cx - size * (0.55 - 0.3 * i)
            blob(
                mask,
                (int(fx), int(cy - size * 0.95)),
                (int(size * 0.14), int(size * 0.45)),
                1.0,
                -15 + 8 * i,
            )
        cv2.line(mask, (int(cx), int(cy)), (int(cx + size), int(h * 2)), 1.0, int(size * 1.1))
        sigma = 1 + 10 * c * c
        mask = cv2.GaussianBlur(mask, (0, 0), sigma)
        mask = cv2.resize(mask, (self.w, self.h), interpolation=cv2.INTER_LINEAR)[..., None]
        shade = (1.0 - 0.8 * c) * np.linspace(1.1, 0.8, self.h, dtype=np.float32)[:, None, None]
        skin = np.array(SKIN, np.float32) * shade
        dim = 1.0 - 0.5 * c  # the hand also blocks the room light
        out = view.astype(np.float32) * dim * (1 - mask) + skin * mask
        return np.clip(out, 0, 255).astype(np.uint8)
