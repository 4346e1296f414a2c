"""settle.rules"""
