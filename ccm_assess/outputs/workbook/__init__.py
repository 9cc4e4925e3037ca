"""outputs.workbook"""
