"""Writes corpus/samples/sample.pickle, the pickle the main job disassembles:
CPython's pickle.dumps at protocol 4 of a small dict with a shared list and a date."""
import datetime
import os
import pickle

obj = {'name': 'pickle', 'protocols': [0, 1, 2, 3, 4, 5], 'when': datetime.date(2026, 11, 27),
       'ratio': 2.5, 'shared': None}
lst = ['x']
obj['shared'] = (lst, lst)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'sample.pickle'), 'wb') as f:
    f.write(pickle.dumps(obj, 4))
