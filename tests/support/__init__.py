"""Helpers the tests share: scripted calls, clients of the API, fakes of the PBXs."""
