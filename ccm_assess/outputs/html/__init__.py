"""outputs.html"""
