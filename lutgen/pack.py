"""Packing: carry chains into consecutive sites, then LUTs and FFs into slots.

Sites are slices (xc7: 4 LUT6_2, one CARRY4, 8 FF) or CLBs (xcup: 8 LUT6_2,
one CARRY8, 16 FF), numbered in one column. A chain occupies consecutive
sites, bottom first, so CO[top] -> CI is the dedicated cascade. The LUT that
drives S[k] sits in slot k of its carry's site (its O5 reaches DI[k] there).
Other LUTs fill free slots; FFs fill free FF slots. Control sets are not a
constraint here: every FF of a lutgen module shares one clock, CE and R.
"""

from __future__ import annotations

from dataclasses import dataclass

from .cells import CONSTANTS, Netlist, NetlistError
from .target import FAMILIES


@dataclass(frozen=True)
class Placement:
    family: str
    sites: int
    lut_slot: tuple[tuple[str, int, int], ...]  # (lut, site, slot)
    carry_site: tuple[tuple[str, int], ...]  # (carry, site)
    ff_site: tuple[tuple[str, int], ...]  # (ff, site)


def pack(netlist: Netlist, family_name: str) -> Placement:
    family = FAMILIES[family_name]
    carries = {c.name: c for c in netlist.carries}
    s_driver = {lut.o6: lut.name for lut in netlist.luts}
    lut_slot: dict[str, tuple[int, int]] = {}
    carry_site: dict[str, int] = {}
    free_slots: list[tuple[int, int]] = []
    site = 0
    for chain in netlist.chains:
        for name in chain:
            carry = carries[name]
            carry_site[name] = site
            for k, s_net in enumerate(carry.s):
                if s_net in CONSTANTS:
                    free_slots.append((site, k))
                else:
                    lut_slot[s_driver[s_net]] = (site, k)
            site += 1
    free_slots.reverse()  # pop() takes the lowest site first
    for lut in netlist.luts:
        if lut.name in lut_slot:
            continue
        if not free_slots:
            free_slots = [(site, k) for k in reversed(range(family.luts_per_site))]
            site += 1
        lut_slot[lut.name] = free_slots.pop()
    ff_site: dict[str, int] = {}
    for index, ff in enumerate(netlist.ffs):
        ff_site[ff.name] = index // family.ffs_per_site
    sites = max([site, *(s + 1 for s in ff_site.values())])
    return Placement(
        family=family_name,
        sites=sites,
        lut_slot=tuple((name, s, k) for name, (s, k) in lut_slot.items()),
        carry_site=tuple(carry_site.items()),
        ff_site=tuple(ff_site.items()),
    )


def check_placement(netlist: Netlist, placement: Placement) -> None:
    """Every cell placed once, slots unique, chains consecutive, S-LUTs in their carry's slot."""
    family = FAMILIES[placement.family]
    slots = {}
    for name, s, k in placement.lut_slot:
        if not (0 <= k < family.luts_per_site and 0 <= s < placement.sites):
            raise NetlistError(f"{name} placed outside the sites")
        if (s, k) in slots:
            raise NetlistError(f"{name} and {slots[(s, k)]} share slot {(s, k)}")
        slots[(s, k)] = name
    lut_at = {name: (s, k) for name, s, k in placement.lut_slot}
    if set(lut_at) != {lut.name for lut in netlist.luts}:
        raise NetlistError("every LUT must be placed exactly once")
    site_of = dict(placement.carry_site)
    if len(set(site_of.values())) != len(site_of):
        raise NetlistError("two carry cells in one site")
    for chain in netlist.chains:
        for below, above in zip(chain, chain[1:]):
            if site_of[above] != site_of[below] + 1:
                raise NetlistError(f"chain {chain[0]} is not in consecutive sites")
    drivers = netlist.drivers()
    for carry in netlist.carries:
        for k, s_net in enumerate(carry.s):
            if s_net in CONSTANTS:
                continue
            lut = drivers[s_net][0]
            if lut_at[lut] != (site_of[carry.name], k):
                raise NetlistError(f"{lut} must sit in slot {k} of {carry.name}'s site")
    per_site: dict[int, int] = {}
    for _, s in placement.ff_site:
        per_site[s] = per_site.get(s, 0) + 1
    if any(n > family.ffs_per_site for n in per_site.values()):
        raise NetlistError("a site holds too many FFs")
