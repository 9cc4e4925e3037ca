"""outputs.explorer"""
