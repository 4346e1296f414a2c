"""settle.engine"""
