"""outputs.figures"""
