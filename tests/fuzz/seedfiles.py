"""Writing a fuzz target's seed files: the one loop every *_seeds.py here
uses, so each script holds only how its inputs are built."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, seeds):
    """Each name: bytes of seeds as tests/fuzz/seeds/<target>/<name>."""
    out = os.path.join(HERE, 'seeds', target)
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
