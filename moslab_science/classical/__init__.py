"""Classical IQA baselines: BRISQUE and NIQE (no reference), PSNR and SSIM (full reference).

Plain NumPy/SciPy/scikit-image/scikit-learn, no Django, no torch. See docs/models.md, "Classical baselines".
"""
