"""mosaik scenario driving docs/examples/mosaik_sim.cpp (see docs/mosaik.md).

    pip install mosaik==3.3.3           # brings mosaik-api-v3
    python docs/mosaik/scenario.py                          # mosaik starts the C++ simulator ("cmd")
    build/bin/example-mosaik_sim --listen 127.0.0.1:5678 &  # or start it yourself ...
    python docs/mosaik/scenario.py --connect 127.0.0.1:5678 # ... and let mosaik connect

A Python Weather simulator feeds a temperature every 15 minutes into two C++
thermostats; a Python Collector prints their setpoints. Not run in CI (no
mosaik there); the C++ side is tested against recorded mosaik transcripts.
"""
import argparse
import math
import os

import mosaik
import mosaik_api_v3

HERE = os.path.dirname(os.path.abspath(__file__))
BINARY = os.path.join(HERE, "..", "..", "build", "bin", "example-mosaik_sim")


class Weather(mosaik_api_v3.Simulator):
    """Time-based: one temperature every `step` steps."""

    def __init__(self):
        super().__init__({"type": "time-based",
                          "models": {"Weather": {"public": True, "params": [], "attrs": ["temp"]}}})
        self.step_size = 15

    def init(self, sid, time_resolution=1.0, step=15):
        self.step_size = step
        return self.meta

    def create(self, num, model):
        return [{"eid": f"Weather_{i}", "type": model} for i in range(num)]

    def step(self, time, inputs, max_advance):
        self.temp = 19.0 + 3.0 * math.sin(time / 240.0)
        return time + self.step_size

    def get_data(self, outputs):
        return {eid: {"temp": self.temp} for eid in outputs}


class Collector(mosaik_api_v3.Simulator):
    """Event-based: prints whatever arrives."""

    def __init__(self):
        super().__init__({"type": "event-based",
                          "models": {"Monitor": {"public": True, "params": [], "attrs": [], "any_inputs": True}}})

    def create(self, num, model):
        return [{"eid": "Monitor", "type": model}]

    def step(self, time, inputs, max_advance):
        for attrs in inputs.values():
            for attr, values in attrs.items():
                for src, value in sorted(values.items()):
                    print(f"t={time:4d} min  {src}.{attr} = {value}")
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--connect", metavar="HOST:PORT",
                        help="connect to a running example-mosaik_sim --listen HOST:PORT instead of starting it")
    parser.add_argument("--until", type=int, default=120)
    args = parser.parse_args()

    thermo = {"connect": args.connect} if args.connect else {"cmd": f"{BINARY} %(addr)s"}
    thermo["api_version"] = "3.0"
    sim_config = {
        "Weather": {"python": "__main__:Weather"},
        "Collector": {"python": "__main__:Collector"},
        "Thermo": thermo,
    }
    world = mosaik.World(sim_config, time_resolution=60.0)  # one step = one minute
    weather = world.start("Weather", step=15).Weather()
    thermostats = world.start("Thermo", check_every=30).Thermostat.create(2)
    monitor = world.start("Collector").Monitor()
    for t in thermostats:
        world.connect(weather, t, "temp")
        world.connect(t, monitor, "setpoint")
    world.run(until=args.until)


if __name__ == "__main__":
    main()
