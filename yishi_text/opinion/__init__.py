"""Django-free text tools of the opinion (舆情) module: normalization, de-duplication (MinHash),
keyword rules (Aho-Corasick), feed parsing, segmentation (jieba) and the heat index.

Plain inputs and outputs; nothing here imports Django. The `opinion` app wires these into the pipeline.
"""
