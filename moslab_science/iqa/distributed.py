"""One process per GPU with torchrun and DistributedDataParallel; a plain single process otherwise.

``torchrun --nproc_per_node=N manage.py iqa train ...`` sets RANK, LOCAL_RANK and WORLD_SIZE; each process
then trains on its shard of every epoch's sample order, gradients are averaged by DDP, and rank 0 alone
evaluates and writes the run directory. NCCL on CUDA, gloo on CPU (how the tests exercise this path).
"""
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Processes:
    rank: int
    world: int
    device: torch.device

    @property
    def main(self) -> bool:
        return self.rank == 0

    def shard(self, order: list[int]) -> list[int]:
        """This rank's share of `order`, padded by wrapping so that every rank runs the same step count."""
        if self.world == 1:
            return order
        padded = order + order[: (-len(order)) % self.world]
        return padded[self.rank :: self.world]

    def wrap(self, model: nn.Module) -> nn.Module:
        if self.world == 1:
            return model
        ids = [self.device.index] if self.device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def first_reason(self, reason: str | None) -> str | None:
        """A reason to stop that every process agrees on: the first one any process has (rank order)."""
        if self.world == 1:
            return reason
        reasons: list[str | None] = [None] * self.world
        dist.all_gather_object(reasons, reason)
        return next((given for given in reasons if given), None)

    def barrier(self) -> None:
        if self.world > 1:
            dist.barrier()


def start(device: str) -> Processes:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Processes(rank=0, world=1, device=torch.device(device))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "cuda":
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device == "cuda" else "gloo")
    where = torch.device("cuda", local_rank) if device == "cuda" else torch.device("cpu")
    return Processes(rank=dist.get_rank(), world=dist.get_world_size(), device=where)


def stop(processes: Processes) -> None:
    if processes.world > 1 and dist.is_initialized():
        dist.destroy_process_group()
