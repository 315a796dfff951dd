"""问题线索 (SPEC §12): the clue register, four-way disposal, 函询 to the person, 初步核实, 澄清正名."""
