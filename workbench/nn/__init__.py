"""Torch building blocks that spaces build from: ops, cells, networks and supernets.

Only the build paths import this package, so ``import workbench`` stays free of torch.
"""
