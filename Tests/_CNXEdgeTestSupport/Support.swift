import CNXEdge
