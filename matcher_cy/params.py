"""Every tuning constant of the matcher, with its unit in its name.

Geometry constants are in pixels at ``WORK_DPI`` (templates at other resolutions are
scaled to it before matching), angles in radians. Thresholds are documented with the
false-match rate (FMR) they gave on the impostor pairs of FVC2002 DB1_B..DB4_B
(all-pairs protocol, 11,520 impostor pairs); see docs/matcher.md for the command.
"""

from __future__ import annotations

import math

# --- extraction -----------------------------------------------------------------------
#: Resolution at which extraction and matching geometry work (dots per inch).
WORK_DPI = 500
#: Accepted input resolutions (dots per inch).
MIN_DPI = 250
MAX_DPI = 1200
#: Smallest accepted image side (pixels, at the input resolution).
MIN_IMAGE_SIDE_PX = 64
#: Largest accepted image side (pixels), to bound memory and time.
MAX_IMAGE_SIDE_PX = 2048

#: Segmentation: side of the window for local standard deviation (pixels).
SEGMENT_WINDOW_PX = 17
#: Segmentation: foreground where local std >= this fraction of the 95th percentile std.
SEGMENT_STD_FRACTION = 0.30
#: Segmentation: foreground where orientation coherence >= this (0..1), as well.
SEGMENT_MIN_COHERENCE = 0.15
#: Segmentation: radius of the morphological smoothing of the mask (pixels).
SEGMENT_SMOOTH_RADIUS_PX = 6

#: Orientation: sigma of the gradient-tensor smoothing (pixels).
ORIENTATION_SIGMA_PX = 9.0
#: Orientation: sigma of the Gaussian derivative used for gradients (pixels).
GRADIENT_SIGMA_PX = 1.0

#: Ridge period search range (pixels at WORK_DPI) and the fallback when no peak is found.
RIDGE_PERIOD_MIN_PX = 5.5
RIDGE_PERIOD_MAX_PX = 14.0
RIDGE_PERIOD_DEFAULT_PX = 9.0

#: Gabor enhancement: number of quantised orientations.
GABOR_ORIENTATIONS = 16
#: Gabor enhancement: Gaussian sigma as a fraction of the ridge period.
GABOR_SIGMA_PER_PERIOD = 0.45
#: Gabor enhancement: filters tuned to the estimated ridge period times this (sigma too).
#: Mean FVC2002 EER (matcher of 2026-11-30 07:04) for 0.75 / 0.80 / 0.84 / 0.85 / 0.86 /
#: 0.88 / 0.90 / 0.92 / 0.95 / 1.0 / 1.01 / 1.02: 2.95 / 2.32 / 1.96 / 1.93 / 1.91 / 2.15 /
#: 2.06 / 2.06 / 2.25 / 2.59 / 3.56 / 4.02%; with the matcher of a508a9d 1.34% at 0.90,
#: 1.06% at 0.86, 1.97% at 1.0; with the matcher of 53e26b9 (3 alignments, 60 candidate
#: pairs) 1.18 / 1.44 / 1.09 / 1.42 / 1.44 / 1.34% at 0.82 / 0.84 / 0.86 / 0.87 / 0.88 /
#: 0.90: a basin from 0.82 to 0.90 whose differences are within the noise (one genuine
#: pair moves a set's EER by 0.36 point). 0.86 was held back once because synthetic
#: non-mates passed the thresholds of the previous extractor too often; against
#: thresholds re-measured with it they pass as often as at 0.90.
GABOR_PERIOD_FACTOR = 0.86
#: Gabor enhancement: computed on the mask's bounding box grown by 3 Gabor sigmas and
#: this (pixels); zero beyond. Thinning further out does not reach the mask.
GABOR_MARGIN_PX = 16

#: Skeleton: connected skeleton pieces shorter than this are erased (pixels).
MIN_SKELETON_PIECE_PX = 12

#: Minutiae closer than this to the mask border are dropped (pixels).
BORDER_MARGIN_PX = 8.0
#: Two minutiae closer than this are both dropped (spurs, bridges, broken ridges) (pixels).
MIN_MINUTIA_DISTANCE_PX = 7.0
#: Radius of the skeleton neighbourhood (the minutia's own ridge) used to orient a
#: minutia (pixels).
DIRECTION_RADIUS_PX = 6.0
#: At most this many minutiae (best quality first) are kept per template.
MAX_MINUTIAE = 120

# --- Minutia Cylinder-Code (bit-based, Cappelli, Ferrara, Maltoni 2010) -----------------
#: Cylinder radius (pixels).
MCC_RADIUS_PX = 70.0
#: Spatial cells along a cylinder side.
MCC_SPATIAL_CELLS = 12
#: Angular sections of a cylinder.
MCC_ANGULAR_CELLS = 5
#: Sigma of the spatial contribution (pixels). 28/3 (the paper's) gave a mean FVC2002
#: EER of 3.22%, 7 / 8 / 8.5 gave 3.02 / 2.94 / 3.05% (ISO templates: 2.50 -> 2.58%).
MCC_SIGMA_S_PX = 8.0
#: Sigma of the directional contribution (radians). 2 pi / 9 (0.70, the paper's) gave a
#: mean FVC2002 EER of 2.94%; 0.45 / 0.5 / 0.55 / 0.6 / 0.65 / 0.8 gave 2.86 / 2.68 /
#: 2.59 / 2.70 / 2.87 / 3.40% (ISO templates at 0.55: 2.60%, at 0.70: 2.58%).
MCC_SIGMA_D_RAD = 0.55
#: A cell bit is set when the summed contribution exceeds this.
MCC_MU_PSI = 0.01
#: A cell is valid when some minutia lies within this distance of its centre (pixels).
MCC_OMEGA_PX = 50.0
#: A cylinder is valid when at least this fraction of its disc cells is valid ...
MCC_MIN_VALID_CELLS_FRACTION = 0.60
#: ... and at least this many other minutiae lie within radius + 3 sigma_s.
MCC_MIN_NEIGHBOURS = 2
#: Two cylinders are compared only when their common valid cells are at least this fraction.
MCC_MIN_MATCHABLE_FRACTION = 0.60
#: Two cylinders are compared only when their minutiae directions differ by at most this.
MCC_MAX_DIRECTION_DIFF_RAD = math.pi / 3.0

# --- consolidation: local similarity sort with relaxation (LSS-R) ---------------------
#: Number of pairs that count in the score: between these, by the smaller minutiae count.
MCC_MIN_NP = 4
MCC_MAX_NP = 12
MCC_NP_MU = 20.0
MCC_NP_TAU = 0.4
#: At most this many top local pairs enter the relaxation ...
MCC_MAX_RELAXED_PAIRS = 30
#: ... chosen one-to-one (each minutia in one pair) from this many best local pairs.
MCC_CANDIDATE_PAIRS = 60
#: Relaxation iterations and the weight kept from the previous iteration.
MCC_RELAX_ITERATIONS = 5
MCC_RELAX_WEIGHT = 0.5
#: Pair compatibility: distance difference where compatibility starts/ends falling (pixels).
MCC_COMPAT_DIST_LO_PX = 2.0
MCC_COMPAT_DIST_HI_PX = 8.0
#: Pair compatibility: angle difference where compatibility starts/ends falling (radians).
MCC_COMPAT_ANGLE_LO_RAD = math.radians(10.0)
MCC_COMPAT_ANGLE_HI_RAD = math.radians(20.0)

# --- global consistency (the score is LSS-R times it) --------------------------------
#: The best this-many relaxed pairs each propose a rigid alignment.
MCC_ALIGNMENTS = 3
#: Under an alignment, minutiae pair when this close (pixels) ...
MCC_ALIGN_DISTANCE_PX = 15.0
#: ... with directions this close (radians).
MCC_ALIGN_ANGLE_RAD = math.radians(30.0)
#: A minutia counts as inside the other print's overlap when within this distance of the
#: convex hull of that print's minutiae (pixels).
MCC_OVERLAP_MARGIN_PX = 10.0
#: Added to both overlap counts before normalising (minutiae).
MCC_OVERLAP_PRIOR = 5.0

# --- thresholds (score of match_score) ------------------------------------------------
#: Score at which the false-match rate was measured to be 1e-2 / 1e-3, pooled over the
#: 11,520 impostor pairs of FVC2002 DB1_B..DB4_B (all-pairs within each set, our
#: extractor; docs/matcher.md; measured values rounded up to 4 decimals). 1e-4 needs more
#: pairs: THRESHOLD_FMR_1E4 is measured on all 49,920 impostor pairs of the 320 images
#: within and across the four sets. Re-measured 2026-12-04 14:40 with the one-to-one pairs,
#: the global consistency factor (3 alignments, 60 candidate pairs) and GABOR_PERIOD_FACTOR
#: 0.86: 0.008967 / 0.013253 / 0.016413 (4 of 49,920 above; highest 0.0205). The scores of
#: the LSS-R-only matcher before were 0.0238 / 0.0288 / 0.0317: the factor, in [0, 1],
#: lowers every score.
THRESHOLD_FMR_1E2 = 0.0090
THRESHOLD_FMR_1E3 = 0.0133
THRESHOLD_FMR_1E4 = 0.0165

# --- several fingers (matcher_cy.fusion, matcher_cy.decision) ----------------------
#: A finger adds at most this to a fused person score (docs/matcher.md "Two fingers").
#: Chosen by a rule, not by FNIR: the largest cap (0.001 steps) for which a red against
#: 10,000 persons needs the weaker finger at or above the one-finger FMR 1e-2 score
#: (``khidmat bench fusion`` prints the rule's cap: 0.024 on all four FVC2002 sets; 0.023 /
#: 0.024 / 0.025 / 0.023 on the three sets left when DB1 / DB2 / DB3 / DB4 is held out).
FUSION_FINGER_CAP = 0.024
#: Fused thresholds are taken at FMR = FPIR / (gallery size x this): on prints from
#: sensors the constants never saw, one finger's impostor tail was measured 1.8x heavier
#: than FVC2002's at FMR 1e-4 (issue 17); two fingers square that (about 3.2).
FUSION_FMR_SAFETY = 3.0
#: The person-level impostor tail: (decades, score), FMR = 10**-decades at that fused
#: score, for one finger and for two (each capped at FUSION_FINGER_CAP). The model: the
#: pooled one-finger impostor scores of FVC2002 DB1-4_B (49,920 pairs within and across
#: the sets) as measured down to FMR 1e-2, an exponential tail beyond it (scale by
#: maximum likelihood from the scores above the 1e-2 point: 0.00152), two fingers
#: independent (the distribution convolved with itself). Scores rounded up to 1e-4.
#: The table ends where the threshold would exceed what the fingers can reach (fingers
#: x cap): a red beyond it is impossible. ``khidmat bench fusion --json`` prints these.
FUSED_TAIL_1 = (
    (2.0, 0.0083),
    (2.5, 0.0101),
    (3.0, 0.0119),
    (3.5, 0.0136),
    (4.0, 0.0154),
    (4.5, 0.0171),
    (5.0, 0.0189),
    (5.5, 0.0206),
    (6.0, 0.0224),
)
FUSED_TAIL_2 = (
    (2.0, 0.0136),
    (2.5, 0.0155),
    (3.0, 0.0174),
    (3.5, 0.0192),
    (4.0, 0.0211),
    (4.5, 0.0229),
    (5.0, 0.0248),
    (5.5, 0.0266),
    (6.0, 0.0281),
    (6.5, 0.0295),
    (7.0, 0.031),
    (7.5, 0.0326),
    (8.0, 0.0342),
    (8.5, 0.0358),
    (9.0, 0.0373),
    (9.5, 0.0389),
    (10.0, 0.0404),
    (10.5, 0.0419),
    (11.0, 0.0433),
    (11.5, 0.0447),
    (12.0, 0.046),
)

# --- templates ------------------------------------------------------------------------
#: Largest number of minutiae a template may hold (ISO/ANSI count is one byte).
MAX_TEMPLATE_MINUTIAE = 255

# --- 1:N prefilter (matcher_cy.index) -----------------------------------------------
#: Index codes kept per gallery template: its first this-many valid cylinders (best
#: quality first), each as its valid bits, their popcount and a direction sector.
INDEX_GALLERY_CODES = 24
#: Coarse codes OR-pool the cylinder bits over this many spatial cells per side (2: a
#: 12x12 grid becomes 6x6, 9 words become 3).
INDEX_COARSE_POOL = 2
#: A search ranks every template by the coarse score of its first this-many codes (20:
#: FVC2002 DB1 rank-1 at 100,000 distractors 100.0% against 97.1% with 16; exhaustive 98.6)
INDEX_COARSE_GALLERY_CODES = 20
#: ... and re-ranks this fraction of the gallery (at least the precise shortlist) by the
#: fine score of all its codes.
INDEX_COARSE_KEEP_FRACTION = 0.05
#: Index codes of the probe that are looked up.
INDEX_PROBE_CODES = 12
#: Prefilter score: sum over the best this-many probe codes of their best gallery
#: code's squared cosine (scaled to integers by 2**INDEX_SIMILARITY_SCALE_BITS).
INDEX_TOP_CODES = 6
INDEX_SIMILARITY_SCALE_BITS = 16
#: Directions are quantised to this many sectors (at most 64); a probe and a gallery
#: code are compared only when their sectors differ by at most INDEX_MAX_SECTOR_DIFF
#: (8 of 64: +-45 degrees; MCC compares cylinders within +-90, and +-45 ranked mates as well).
INDEX_DIRECTION_SECTORS = 64
INDEX_MAX_SECTOR_DIFF = 8
#: Galleries up to this size are scored exhaustively; larger ones score precisely only a
#: shortlist of max(PREFILTER_SHORTLIST_MIN, PREFILTER_SHORTLIST_FRACTION x size).
PREFILTER_SHORTLIST_MIN = 200
PREFILTER_SHORTLIST_FRACTION = 0.005
