"""The ``edxml`` profile: e-document and status packages of QCVN 102:2016/BTTTT."""
