"""settle.load"""
