"""Side-by-side benchmarks of Overcast against its peers (moto's server, MiniStack, a do-nothing floor)."""
