"""settle.output"""
